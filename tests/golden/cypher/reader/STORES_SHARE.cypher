
CALL () { MATCH (h:Holding) RETURN count(h) AS total }
UNWIND $stores AS sid
MATCH (st:Store {id: sid})
RETURN total, sum(COUNT { (st)<-[:IN_STORE]-() }) AS in_stores
