
UNWIND $rows AS row
MATCH (t:RequestTask {id: row.task})
SET t.notice_id = row.notice_id, t.notice_channel = row.channel, t.notice_sent_at = row.sent_at,
    t.notice_error = row.error, t.ack_token_hash = row.token_hash
