
MATCH (hold:Hold {id: $id}) WHERE hold.released_at IS NULL
SET hold.released_at = datetime(), hold.released_reason = $reason
RETURN hold.id AS id
