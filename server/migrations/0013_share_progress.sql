-- Whether a member shares their learning progress (member.profile_updated `share_progress`,
-- true unless they turned it off; events written before the field existed mean true).
ALTER TABLE members ADD COLUMN share_progress boolean NOT NULL DEFAULT true;
