-- purpose: autoanalyze skips the bodies no plan reads statistics of. Analyzing messages and events sorted 30 000 sampled
-- message texts and event documents, and ran to_tsvector over the sampled texts for the search index's statistics: a
-- burst of CPU (on a table of 260 000 messages, 170 ms of the analyze's 180), which a busy 2-core machine feels as a
-- stall in the tail of the latency. No plan reads these statistics: the feed, the consumers and retention find events by
-- tenant, number, type and date; messages are found by session and seq; a search's selectivity defaults to a small one
-- without statistics, which is what it is.
ALTER TABLE events ALTER COLUMN data SET STATISTICS 0;
ALTER TABLE messages ALTER COLUMN text SET STATISTICS 0;
ALTER TABLE messages ALTER COLUMN extras SET STATISTICS 0;
ALTER INDEX messages_text_search ALTER COLUMN 1 SET STATISTICS 0;
