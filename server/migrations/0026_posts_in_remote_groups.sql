-- A member's post written in a group (community) on another server names it by its ActivityPub
-- id: the post is on the member's profile here and goes to the group, which passes it on.
ALTER TABLE posts ADD COLUMN group_remote text;
