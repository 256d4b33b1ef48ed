
UNWIND $subjects AS sk
MATCH (s:Subject {key: sk})
SET s.locked = true
REMOVE s.locked
