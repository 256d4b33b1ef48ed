
MATCH (b:Breach {id: $id})
RETURN COUNT { (b)-[:AFFECTS]->() } AS subjects,
       COLLECT { MATCH (b)-[a:AFFECTS]->() UNWIND a.types AS name
                 WITH name, count(*) AS n RETURN [name, n] AS pair ORDER BY name } AS by_type,
       COLLECT { MATCH (b)-[a:AFFECTS]->() UNWIND a.categories AS name
                 WITH name, count(*) AS n RETURN [name, n] AS pair ORDER BY name } AS by_category,
       COLLECT { MATCH (b)-[a:AFFECTS]->() UNWIND a.stores AS name
                 WITH name, count(*) AS n RETURN [name, n] AS pair ORDER BY name } AS by_store
