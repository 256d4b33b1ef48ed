
UNWIND $rows AS row
MERGE (c:HeldCount {id: row.id})
  ON CREATE SET c.store = row.store, c.subject_type = row.subject_type, c.category = row.category,
                c.holdings = 0
SET c.holdings = c.holdings + row.delta
WITH c WHERE c.holdings = 0
DELETE c
