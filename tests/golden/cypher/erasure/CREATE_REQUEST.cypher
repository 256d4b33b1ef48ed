
MATCH (s:Subject {key: $subject})
CREATE (r:ErasureRequest {id: $id, received_at: $received_at, deadline: $deadline,
                          requested_by: $requested_by, status: 'open', created_at: $created_at,
                          zone: $zone})
CREATE (r)-[:FOR]->(s)
WITH r
UNWIND $tasks AS task
CREATE (r)-[:HAS_TASK]->(:ErasureTask {id: r.id + '|' + task.store, store: task.store,
        system: task.system, processor: task.processor, countries: task.countries,
        sub_processors: task.sub_processors, categories: task.categories,
        status: 'outstanding', created_at: $created_at})
