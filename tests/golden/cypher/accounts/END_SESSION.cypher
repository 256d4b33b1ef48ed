
MATCH (w:WebSession {id: $id})
DELETE w
