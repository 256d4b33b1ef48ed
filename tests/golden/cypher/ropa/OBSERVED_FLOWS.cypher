
MATCH (src:Store)-[f:FLOWS_TO]->(dst:Store)
RETURN src.id AS source, dst.id AS destination, coalesce(f.categories, []) AS categories,
       COUNT { (:Subject)-[m:MOVED]->(dst) WHERE m.src = src.id } AS subjects
ORDER BY source, destination
