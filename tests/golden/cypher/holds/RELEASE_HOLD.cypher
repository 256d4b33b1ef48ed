
MATCH (hold:Hold {id: $id}) WHERE hold.released_at IS NULL
SET hold.released_at = datetime(), hold.released_reason = $reason, hold.released_by = $released_by
RETURN hold.id AS id
