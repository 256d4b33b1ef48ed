
UNWIND $rows AS row
WITH row, datetime({epochMillis: row.at}) AS at
MERGE (src:Store {id: row.store}) ON CREATE SET src.declared = false
MERGE (dst:Store {id: row.destination}) ON CREATE SET dst.declared = false
MERGE (src)-[f:FLOWS_TO]->(dst)
  ON CREATE SET f.first_seen = at, f.last_seen = at, f.categories = []
SET f.first_seen = CASE WHEN at < f.first_seen THEN at ELSE f.first_seen END,
    f.last_seen = CASE WHEN at > f.last_seen THEN at ELSE f.last_seen END,
    f.categories = reduce(acc = f.categories, y IN row.categories | CASE WHEN y IS NULL OR y IN acc THEN acc ELSE [x IN acc WHERE x < y] + y + [x IN acc WHERE x > y] END)
WITH row, src, dst
MATCH (:Identifier {key: row.subject})-[:IDENTIFIES]->(s:Subject)
MERGE (s)-[:MOVED {src: src.id}]->(dst)
