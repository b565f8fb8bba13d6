-- purpose: rich messages (issue 17): a bot's sources and quick replies, and the quick reply a visitor's message answers,
-- as one optional JSON document beside the text (the text stays the message's readable form everywhere).
ALTER TABLE messages ADD COLUMN extras jsonb NULL;
