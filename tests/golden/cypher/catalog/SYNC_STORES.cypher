
UNWIND $stores AS s
MERGE (sys:System {id: s.system})
SET sys.name = s.system_name, sys.kind = s.kind
MERGE (st:Store {id: s.id})
SET st.name = s.name, st.declared = true, st.categories = s.categories,
    st.subject_types = s.subject_types, st.purposes = s.purposes
MERGE (sys)-[:HAS_STORE]->(st)
WITH st, s
MATCH (proc:Processor {id: s.processor})
OPTIONAL MATCH (st)-[old_run:RUN_BY]->(other:Processor) WHERE other <> proc
DELETE old_run
MERGE (st)-[:RUN_BY]->(proc)
WITH st, s
MERGE (c:Country {code: s.country})
WITH st, c
OPTIONAL MATCH (st)-[old_loc:LOCATED_IN]->(other:Country) WHERE other <> c
DELETE old_loc
MERGE (st)-[:LOCATED_IN]->(c)
