
UNWIND $rows AS row
MERGE (t:Tally {subject: row.subject})
SET t.kinds = row.kinds
