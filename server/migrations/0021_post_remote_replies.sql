-- A member's reply to a post, artefact or path on another server names it by its ActivityPub id.
ALTER TABLE posts ADD COLUMN in_reply_to_remote text;
