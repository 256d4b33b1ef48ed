
UNWIND $processors AS p
MATCH (proc:Processor {id: p.id})
OPTIONAL MATCH (proc)-[old:SUB_PROCESSOR]->(sub:Processor) WHERE NOT sub.id IN p.sub_processors
DELETE old
WITH DISTINCT proc, p
UNWIND p.sub_processors AS sub_id
MATCH (sub:Processor {id: sub_id})
MERGE (proc)-[:SUB_PROCESSOR]->(sub)
