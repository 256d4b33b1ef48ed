
MATCH (r:ErasureRequest)
WHERE $id IS NULL OR r.id = $id
OPTIONAL MATCH (r)-[:FOR]->(s:Subject)
RETURN r.id AS id, s.key AS subject, r.requested_by AS requested_by, r.received_at AS received_at,
       r.deadline AS deadline, r.status AS stored_status, r.completed_at AS completed_at,
       CASE WHEN r.extension_months IS NULL THEN null
            ELSE {months: r.extension_months, reason: r.extension_reason,
                  extended_at: r.extended_at, original_deadline: r.original_deadline} END AS extension,
       COLLECT { MATCH (r)-[:HAS_TASK]->(t:ErasureTask)
                 RETURN t {.id, .store, .system, .processor, .countries, .sub_processors, .categories,
                           .status, .reason, .closed_by_event, .closed_at, .notice_id, .notice_channel,
                           .notice_sent_at, .notice_error, .acknowledged_at, .acknowledged_by,
                           .reminded_at} AS task
                 ORDER BY t.store } AS tasks
ORDER BY received_at DESC, id DESC
