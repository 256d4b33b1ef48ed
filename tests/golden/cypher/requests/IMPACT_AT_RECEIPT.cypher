
MATCH (:Identifier {key: $key})-[:IDENTIFIES]->(s:Subject)
OPTIONAL MATCH (s)-[:HAS_HOLDING]->(h:Holding {state: 'held'})-[:IN_STORE]->(st:Store)
OPTIONAL MATCH (sys:System)-[:HAS_STORE]->(st)
OPTIONAL MATCH (st)-[:RUN_BY]->(p:Processor)
OPTIONAL MATCH (p)-[:ESTABLISHED_IN]->(pc:Country)
OPTIONAL MATCH (st)-[:LOCATED_IN]->(c:Country)
OPTIONAL MATCH (p)-[:SUB_PROCESSOR*1..]->(sub:Processor)-[:ESTABLISHED_IN]->(sc:Country)
WITH s, st, sys, p, pc, c,
     collect(DISTINCT CASE WHEN h IS NULL THEN null
                      ELSE {category: h.category, purposes: h.purposes,
                            legal_bases: h.legal_bases} END) AS held,
     collect(DISTINCT sub.id + ' (' + sc.code + ')') AS subs, collect(DISTINCT sc.code) AS sub_countries
RETURN s.key AS subject, st.id AS store, sys.id AS system, p.id AS processor,
       [x IN [c.code, pc.code] + sub_countries WHERE x IS NOT NULL] AS countries,
       subs AS sub_processors, held, coalesce(st.purposes, []) AS store_purposes
