
MATCH (s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(:Store)
      -[:LOCATED_IN]->(c:Country)
RETURN c.code AS country, count(DISTINCT s) AS subjects, count(h) AS holdings
ORDER BY subjects DESC, country
