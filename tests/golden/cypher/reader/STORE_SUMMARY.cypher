
MATCH (st:Store)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)<-[:IN_STORE]-(h:Holding)<-[:HAS_HOLDING]-(s:Subject)
WITH st, c, p,
     count(DISTINCT CASE WHEN h.state = 'held' THEN s END) AS subjects_held,
     count(DISTINCT CASE WHEN h.state <> 'held' THEN s END) AS subjects_erased,
     count(CASE WHEN h.state = 'held' THEN h END) AS holdings
RETURN st.id AS store, c.code AS country, p.id AS processor_id, p.name AS processor,
       st.declared AS declared,
       subjects_held, subjects_erased, holdings
ORDER BY store
