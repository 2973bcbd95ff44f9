
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE SCHEMA a2agw_pre0004;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE a2agw_pre0004.a2agw_task_migrations (
    version bigint NOT NULL,
    description text NOT NULL,
    installed_on timestamp with time zone DEFAULT now() NOT NULL,
    success boolean NOT NULL,
    checksum bytea NOT NULL,
    execution_time bigint NOT NULL
);

CREATE TABLE a2agw_pre0004.events (
    task_id text NOT NULL COLLATE pg_catalog."C",
    seq bigint NOT NULL,
    event json NOT NULL,
    CONSTRAINT events_seq_check CHECK ((seq >= 1))
);
ALTER TABLE ONLY a2agw_pre0004.events ALTER COLUMN event SET COMPRESSION lz4;

CREATE TABLE a2agw_pre0004.push_configs (
    task_id text NOT NULL COLLATE pg_catalog."C",
    id text NOT NULL COLLATE pg_catalog."C",
    config json NOT NULL,
    delivered_seq bigint DEFAULT 0 NOT NULL,
    claim_holder text,
    claim_until timestamp with time zone,
    CONSTRAINT push_configs_delivered_seq_check CHECK ((delivered_seq >= 0))
);
ALTER TABLE ONLY a2agw_pre0004.push_configs ALTER COLUMN config SET COMPRESSION lz4;

CREATE TABLE a2agw_pre0004.tasks (
    id text NOT NULL COLLATE pg_catalog."C",
    owner text NOT NULL,
    context_id text NOT NULL,
    state text NOT NULL,
    active boolean NOT NULL,
    status_millis bigint NOT NULL,
    snapshot json NOT NULL,
    last_seq bigint NOT NULL,
    incarnation bigint NOT NULL,
    lease_holder text,
    lease_until timestamp with time zone,
    CONSTRAINT tasks_last_seq_check CHECK ((last_seq >= 1))
);
ALTER TABLE ONLY a2agw_pre0004.tasks ALTER COLUMN snapshot SET COMPRESSION lz4;

INSERT INTO a2agw_pre0004.a2agw_task_migrations VALUES (1, 'init', '2026-12-06 22:10:28.56807+00', true, '\x56d39873cb6882fd32f23011afd9fae0ce9d38661bd7f12ce05795a89d6889308a1de04528e8446d2a994f6243fc4b05', 35586591);
INSERT INTO a2agw_pre0004.a2agw_task_migrations VALUES (2, 'push cursor', '2026-12-06 22:10:28.604543+00', true, '\xdfa45ae8f96f5b2d3b8d7a7d93430288560fc0acb417f2b16f771ca4d9d01836b09cb529fe6a02036a22161bbdee4381', 7004166);
INSERT INTO a2agw_pre0004.a2agw_task_migrations VALUES (3, 'push claim', '2026-12-06 22:10:28.615635+00', true, '\xbe58f09e8ad3ede7ff12adad4e6a1ec84629615f1572e0d1f5bad4aea3efc328e1376bccebdf6e48847b89404c6bf91d', 1088389);

INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 1, '{"type":"created","task":{"id":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","contextId":"ctx-fx","status":{"state":"TASK_STATE_SUBMITTED","timestamp":"2026-12-06T22:10:31.558Z"},"history":[{"messageId":"fx-1","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_USER","parts":[{"text":"hello fixture"}]}]}}');
INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 2, '{"type":"assigned","agent":"demo"}');
INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 3, '{"type":"status","status":{"state":"TASK_STATE_WORKING","message":{"messageId":"b2831ad2-d514-4671-9055-494bfbf6d1f4","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_AGENT","parts":[{"text":"Working on it"}]},"timestamp":"2026-12-06T22:10:31.580Z"}}');
INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 4, '{"type":"artifact","artifact":{"artifactId":"15eca159-fe5f-47cc-aabe-5afb3a9b1085","name":"echo","parts":[{"text":"hello"}]},"append":false,"lastChunk":false}');
INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 5, '{"type":"artifact","artifact":{"artifactId":"15eca159-fe5f-47cc-aabe-5afb3a9b1085","name":"echo","parts":[{"text":" fixt"}]},"append":true,"lastChunk":false}');
INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 6, '{"type":"artifact","artifact":{"artifactId":"15eca159-fe5f-47cc-aabe-5afb3a9b1085","name":"echo","parts":[{"text":"ure"}]},"append":true,"lastChunk":true}');
INSERT INTO a2agw_pre0004.events VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 7, '{"type":"status","status":{"state":"TASK_STATE_COMPLETED","message":{"messageId":"9ca1309a-976b-49ac-ba2b-1db1473f5afe","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_AGENT","parts":[{"text":"Done"}]},"timestamp":"2026-12-06T22:10:31.580Z"}}');
INSERT INTO a2agw_pre0004.events VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 1, '{"type":"created","task":{"id":"923539e5-3917-43f1-ae20-219e95960b78","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","status":{"state":"TASK_STATE_SUBMITTED","timestamp":"2026-12-06T22:10:31.608Z"},"history":[{"messageId":"fx-2","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_USER","parts":[{"text":"I need input"}]}]}}');
INSERT INTO a2agw_pre0004.events VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 2, '{"type":"assigned","agent":"demo"}');
INSERT INTO a2agw_pre0004.events VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 3, '{"type":"status","status":{"state":"TASK_STATE_WORKING","message":{"messageId":"b90d369c-efec-4f59-97cc-25b87fb620dd","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_AGENT","parts":[{"text":"Working on it"}]},"timestamp":"2026-12-06T22:10:31.626Z"}}');
INSERT INTO a2agw_pre0004.events VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 4, '{"type":"providerData","data":{"awaiting":"input"}}');
INSERT INTO a2agw_pre0004.events VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 5, '{"type":"status","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"c9b74c7f-c352-4669-a4a4-f69bba95df3f","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_AGENT","parts":[{"text":"What should I call you? Reply on this task to continue."}]},"timestamp":"2026-12-06T22:10:31.626Z"}}');
INSERT INTO a2agw_pre0004.events VALUES ('5abf7ceb-476a-4c23-bd68-5c6208534608', 1, '{"type":"created","task":{"id":"5abf7ceb-476a-4c23-bd68-5c6208534608","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","status":{"state":"TASK_STATE_SUBMITTED","timestamp":"2026-12-06T22:10:31.654Z"},"history":[{"messageId":"fx-3","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","taskId":"5abf7ceb-476a-4c23-bd68-5c6208534608","role":"ROLE_USER","parts":[{"text":"please reject"}]}]}}');
INSERT INTO a2agw_pre0004.events VALUES ('5abf7ceb-476a-4c23-bd68-5c6208534608', 2, '{"type":"assigned","agent":"demo"}');
INSERT INTO a2agw_pre0004.events VALUES ('5abf7ceb-476a-4c23-bd68-5c6208534608', 3, '{"type":"status","status":{"state":"TASK_STATE_REJECTED","message":{"messageId":"6c7f888c-cad5-4358-85f9-22660aec75ba","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","taskId":"5abf7ceb-476a-4c23-bd68-5c6208534608","role":"ROLE_AGENT","parts":[{"text":"Rejected as requested"}]},"timestamp":"2026-12-06T22:10:31.667Z"}}');

INSERT INTO a2agw_pre0004.push_configs VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 'cfg-1', '{"id":"cfg-1","taskId":"923539e5-3917-43f1-ae20-219e95960b78","url":"https://hooks.example.com/a2a","token":"tok"}', 0, NULL, NULL);

INSERT INTO a2agw_pre0004.tasks VALUES ('be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d', 'anonymous', 'ctx-fx', 'TASK_STATE_COMPLETED', false, 1796595031580, '{"task":{"id":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","contextId":"ctx-fx","status":{"state":"TASK_STATE_COMPLETED","message":{"messageId":"9ca1309a-976b-49ac-ba2b-1db1473f5afe","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_AGENT","parts":[{"text":"Done"}]},"timestamp":"2026-12-06T22:10:31.580Z"},"artifacts":[{"artifactId":"15eca159-fe5f-47cc-aabe-5afb3a9b1085","name":"echo","parts":[{"text":"hello"},{"text":" fixt"},{"text":"ure"}]}],"history":[{"messageId":"fx-1","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_USER","parts":[{"text":"hello fixture"}]},{"messageId":"b2831ad2-d514-4671-9055-494bfbf6d1f4","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_AGENT","parts":[{"text":"Working on it"}]},{"messageId":"9ca1309a-976b-49ac-ba2b-1db1473f5afe","contextId":"ctx-fx","taskId":"be94c71f-e44c-4ab0-ad50-d76d5ddaaa9d","role":"ROLE_AGENT","parts":[{"text":"Done"}]}]},"agent":"demo","last_seq":7}', 7, 6940109360337864659, NULL, NULL);
INSERT INTO a2agw_pre0004.tasks VALUES ('923539e5-3917-43f1-ae20-219e95960b78', 'anonymous', '5ed6049b-67a2-46c3-aeea-df5fd7ede955', 'TASK_STATE_INPUT_REQUIRED', false, 1796595031626, '{"task":{"id":"923539e5-3917-43f1-ae20-219e95960b78","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"messageId":"c9b74c7f-c352-4669-a4a4-f69bba95df3f","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_AGENT","parts":[{"text":"What should I call you? Reply on this task to continue."}]},"timestamp":"2026-12-06T22:10:31.626Z"},"history":[{"messageId":"fx-2","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_USER","parts":[{"text":"I need input"}]},{"messageId":"b90d369c-efec-4f59-97cc-25b87fb620dd","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_AGENT","parts":[{"text":"Working on it"}]},{"messageId":"c9b74c7f-c352-4669-a4a4-f69bba95df3f","contextId":"5ed6049b-67a2-46c3-aeea-df5fd7ede955","taskId":"923539e5-3917-43f1-ae20-219e95960b78","role":"ROLE_AGENT","parts":[{"text":"What should I call you? Reply on this task to continue."}]}]},"agent":"demo","provider_data":{"awaiting":"input"},"last_seq":5}', 5, -8351979453265983132, NULL, NULL);
INSERT INTO a2agw_pre0004.tasks VALUES ('5abf7ceb-476a-4c23-bd68-5c6208534608', 'anonymous', '342c3f25-2d65-4297-87b5-e3487aba916b', 'TASK_STATE_REJECTED', false, 1796595031667, '{"task":{"id":"5abf7ceb-476a-4c23-bd68-5c6208534608","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","status":{"state":"TASK_STATE_REJECTED","message":{"messageId":"6c7f888c-cad5-4358-85f9-22660aec75ba","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","taskId":"5abf7ceb-476a-4c23-bd68-5c6208534608","role":"ROLE_AGENT","parts":[{"text":"Rejected as requested"}]},"timestamp":"2026-12-06T22:10:31.667Z"},"history":[{"messageId":"fx-3","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","taskId":"5abf7ceb-476a-4c23-bd68-5c6208534608","role":"ROLE_USER","parts":[{"text":"please reject"}]},{"messageId":"6c7f888c-cad5-4358-85f9-22660aec75ba","contextId":"342c3f25-2d65-4297-87b5-e3487aba916b","taskId":"5abf7ceb-476a-4c23-bd68-5c6208534608","role":"ROLE_AGENT","parts":[{"text":"Rejected as requested"}]}]},"agent":"demo","last_seq":3}', 3, -1908902558195168525, NULL, NULL);

ALTER TABLE ONLY a2agw_pre0004.a2agw_task_migrations
    ADD CONSTRAINT a2agw_task_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY a2agw_pre0004.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (task_id, seq);

ALTER TABLE ONLY a2agw_pre0004.push_configs
    ADD CONSTRAINT push_configs_pkey PRIMARY KEY (task_id, id);

ALTER TABLE ONLY a2agw_pre0004.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);

CREATE INDEX tasks_active ON a2agw_pre0004.tasks USING btree (id) WHERE active;

CREATE INDEX tasks_by_owner ON a2agw_pre0004.tasks USING btree (owner, status_millis DESC, id DESC);

CREATE INDEX tasks_by_owner_context ON a2agw_pre0004.tasks USING btree (owner, context_id, status_millis DESC, id DESC);

ALTER TABLE ONLY a2agw_pre0004.events
    ADD CONSTRAINT events_task_id_fkey FOREIGN KEY (task_id) REFERENCES a2agw_pre0004.tasks(id) ON DELETE CASCADE;

ALTER TABLE ONLY a2agw_pre0004.push_configs
    ADD CONSTRAINT push_configs_task_id_fkey FOREIGN KEY (task_id) REFERENCES a2agw_pre0004.tasks(id) ON DELETE CASCADE;

