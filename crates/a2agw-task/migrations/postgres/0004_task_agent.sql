-- The agent a task runs at (`Route::agent`, written with the task by `TaskStore::create`),
-- so that reads are scoped by owner and agent. Existing tasks take it from their snapshot
-- (`TaskRecord::agent`, set by the `Assigned` event the engine used to append right after
-- creating a task); a task whose assignment never happened keeps the empty agent, which no
-- scope names.
ALTER TABLE tasks ADD COLUMN agent TEXT NOT NULL DEFAULT '';
UPDATE tasks SET agent = COALESCE(snapshot->>'agent', '');
-- ListTasks: the tasks of an owner at an agent, most recent status first.
DROP INDEX tasks_by_owner;
DROP INDEX tasks_by_owner_context;
CREATE INDEX tasks_by_owner_agent ON tasks (owner, agent, status_millis DESC, id DESC);
CREATE INDEX tasks_by_owner_agent_context
    ON tasks (owner, agent, context_id, status_millis DESC, id DESC);
