-- Path insight (GET /api/v1/paths/{id}/insight) needs, per learner, when they first enrolled
-- (time to complete counts from there, even across leaving and enrolling again) and when they
-- last did anything in the path (to tell active learners from those who went quiet). The paths
-- read model starts again from the log to fill them: its tables are emptied and its checkpoint
-- dropped, and the runner rebuilds it from position 0.
TRUNCATE paths, path_steps, enrollments, enrollment_steps;
DELETE FROM projection_checkpoints WHERE name = 'paths';
ALTER TABLE enrollments
    ADD COLUMN first_enrolled_at timestamptz NOT NULL,
    ADD COLUMN last_active_at    timestamptz NOT NULL;
-- Per-step counts of a path's learners.
CREATE INDEX enrollment_steps_by_step ON enrollment_steps (path_id, step_id);
