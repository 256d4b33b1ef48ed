
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)-[:HAS_HOLDING]->(h:Holding {state: 'held'})
      -[:IN_STORE]->(st:Store)
WITH st, h ORDER BY h.category
WITH st, collect(DISTINCT h.category) AS categories,
     collect({category: h.category, expires_at: h.expires_at.epochMillis,
              archive_until: h.archive_until.epochMillis}) AS retention
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
CALL (p) {
  OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
  WITH DISTINCT sub, sc ORDER BY sub.id, sc.code
  RETURN collect({id: sub.id, name: sub.name, country: sc.code}) AS subs
}
RETURN st.id AS store, sys.id AS system, p.id AS processor_id, p.name AS processor,
       c.code AS country, categories, retention,
       [x IN subs WHERE x.id IS NOT NULL] AS sub_processors
ORDER BY store
