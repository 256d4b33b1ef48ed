
MATCH (r:Request)
WHERE ($id IS NULL OR r.id = $id) AND ($kind IS NULL OR r.kind = $kind)
OPTIONAL MATCH (r)-[:FOR]->(s:Subject)
RETURN r.id AS id, r.kind AS kind, s.key AS subject, r.requested_by AS requested_by,
       r.opened_by AS opened_by,
       r.received_at AS received_at, r.deadline AS deadline, r.status AS stored_status,
       r.completed_at AS completed_at, r.closure_note AS closure_note, r.closed_at AS closed_at,
       {method: r.verification_method, verified_by: r.verified_by} AS verification,
       r.purposes AS purposes, r.categories AS categories, r.in_force AS in_force,
       r.in_force_since AS in_force_since, r.lifted_at AS lifted_at, r.lift_reason AS lift_reason,
       CASE WHEN r.extension_months IS NULL THEN null
            ELSE {months: r.extension_months, reason: r.extension_reason,
                  extended_at: r.extended_at, original_deadline: r.original_deadline} END AS extension,
       COLLECT { MATCH (r)-[:HAS_TASK]->(t:RequestTask)
                 RETURN t {.id, .store, .system, .processor, .countries, .sub_processors, .categories,
                           .status, .reason, .closed_by_event, .closed_at, .answered_at, .answered_by,
                           .answer_evidence, .notice_id, .notice_channel, .notice_sent_at,
                           .notice_error, .acknowledged_at, .acknowledged_by, .reminded_at} AS task
                 ORDER BY t.store } AS tasks
ORDER BY received_at DESC, id DESC
