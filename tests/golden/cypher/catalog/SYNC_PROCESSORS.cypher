
UNWIND $processors AS p
MERGE (proc:Processor {id: p.id})
SET proc.name = p.name, proc.declared = true
MERGE (c:Country {code: p.country})
WITH proc, c, p
OPTIONAL MATCH (proc)-[old:ESTABLISHED_IN]->(other:Country) WHERE other <> c
DELETE old
MERGE (proc)-[:ESTABLISHED_IN]->(c)
