
MATCH (src:Store)-[f:FLOWS_TO]->(dst:Store)
OPTIONAL MATCH (src)-[:LOCATED_IN]->(sc:Country)
OPTIONAL MATCH (dst)-[:LOCATED_IN]->(dc:Country)
RETURN src.id AS source, dst.id AS destination, sc.code AS source_country,
       dc.code AS destination_country, dst.declared AS declared, f.categories AS categories,
       f.first_seen AS first_seen, f.last_seen AS last_seen,
       COUNT { (:Subject)-[m:MOVED]->(dst) WHERE m.src = src.id } AS subjects
ORDER BY subjects DESC, source, destination
