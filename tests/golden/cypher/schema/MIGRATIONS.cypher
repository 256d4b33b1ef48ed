MATCH (r:ErasureRequest) SET r:Request, r.kind = coalesce(r.kind, 'erasure') REMOVE r:ErasureRequest;
MATCH (t:ErasureTask) SET t:RequestTask REMOVE t:ErasureTask;
DROP CONSTRAINT erasurerequest_id IF EXISTS;
