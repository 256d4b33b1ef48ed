
UNWIND $stores AS sid
MATCH (:Store {id: sid})<-[:IN_STORE]-(:Holding {state: 'held'})<-[:HAS_HOLDING]-(s:Subject)
RETURN count(DISTINCT s) AS subjects
