
MATCH (w:WebSession {id: $id}) WHERE w.expires_at > datetime()
RETURN w.actor AS actor, w.kind AS kind, w.role AS role, w.csrf AS csrf,
       w.expires_at.epochSeconds AS expires
