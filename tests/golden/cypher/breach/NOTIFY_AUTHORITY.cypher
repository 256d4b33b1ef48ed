
MATCH (b:Breach {id: $id})
SET b.authority_notified_at = $at, b.authority_notified_by = $by, b.authority_reference = $reference,
    b.delay_reason = $delay_reason
