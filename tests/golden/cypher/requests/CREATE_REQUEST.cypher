
MATCH (s:Subject {key: $subject})
CREATE (r:Request {id: $id, kind: $kind, received_at: $received_at, deadline: $deadline,
                   requested_by: $requested_by, opened_by: $opened_by,
                   verification_method: $verification_method,
                   verified_by: $verified_by, purposes: $purposes, categories: $categories,
                   in_force: $in_force, in_force_since: $in_force_since, status: 'open',
                   created_at: $created_at, zone: $zone, changed_at: datetime()})
CREATE (r)-[:FOR]->(s)
WITH r
UNWIND $tasks AS task
CREATE (r)-[:HAS_TASK]->(:RequestTask {id: r.id + '|' + task.store, store: task.store,
        system: task.system, processor: task.processor, countries: task.countries,
        sub_processors: task.sub_processors, categories: task.categories, reason: task.reason,
        status: 'outstanding', created_at: $created_at})
