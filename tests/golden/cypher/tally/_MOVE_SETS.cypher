
UNWIND $rows AS row
MERGE (c:StoreSetCount {id: row.id})
  ON CREATE SET c.stores = row.stores, c.subjects = 0
SET c.subjects = c.subjects + row.delta
WITH c WHERE c.subjects = 0
DELETE c
