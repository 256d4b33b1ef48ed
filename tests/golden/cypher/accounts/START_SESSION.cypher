
CREATE (w:WebSession {id: $id, actor: $actor, kind: $kind, role: $role, csrf: $csrf,
                      created_at: datetime(), expires_at: datetime($expires_at)})
