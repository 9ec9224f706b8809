-- The failed results of a district in the order recorded: the disclosure queue (the oldest
-- waiting for review) reads a few of them rather than sorting a whole register.
CREATE INDEX sampling_failed ON sampling(owner_id, id) WHERE passed = 0
