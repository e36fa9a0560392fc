-- +goose Up
-- Response scripts (话术库, seeds 001 and 002): approved wording by stage,
-- category and language, with variables the API fills from the case. A
-- script is a key with numbered versions; editing adds a version, which is
-- proposed until a supervisor approves it, and approving it supersedes the
-- key's earlier approved version. Versions are never deleted: a case's
-- audit trail names the key and version it used.
CREATE TABLE scripts (
    key          text NOT NULL,
    version      integer NOT NULL CHECK (version > 0),
    stage        text NOT NULL CHECK (stage IN ('acknowledgement','info_request','proposal','refusal',
                                                 'appeal_answer','closing','abuse_warning','callback')),
    category     text NOT NULL,
    language     text NOT NULL CHECK (language IN ('zh','en')),
    title        text NOT NULL,
    body         text NOT NULL,
    status       text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed','approved','superseded')),
    proposed_by  text NOT NULL,
    proposed_at  timestamptz NOT NULL DEFAULT now(),
    approved_by  text,
    approved_at  timestamptz,
    PRIMARY KEY (key, version),
    CHECK (status = 'proposed' OR approved_by IS NOT NULL)
);
-- At most one approved version of a key: the one staff may use.
CREATE UNIQUE INDEX scripts_one_approved_idx ON scripts (key) WHERE status = 'approved';
CREATE INDEX scripts_pick_idx ON scripts (stage, language, category) WHERE status = 'approved';

-- script_events is the scripts' audit trail: each proposal, approval and
-- supersession, by whom and when. Append-only for the application.
CREATE TABLE script_events (
    id          bigserial PRIMARY KEY,
    script_key  text NOT NULL,
    version     integer NOT NULL,
    type        text NOT NULL CHECK (type IN ('proposed','approved','superseded')),
    actor       text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (script_key, version) REFERENCES scripts (key, version)
);
CREATE INDEX script_events_key_idx ON script_events (script_key, version, id);
REVOKE UPDATE, DELETE ON script_events FROM complaints_app;

-- The reports on script usage and abusive contacts read the case events
-- that carry a script or an abuse record.
CREATE INDEX case_events_practice_idx ON case_events (type, at)
    WHERE type IN ('proposed','info_requested','abusive_contact','appealed');

-- The seeded scripts, approved, in Chinese and English, written from the
-- seeds' practices (see docs/practices.md).
INSERT INTO scripts (key, version, stage, category, language, title, body, status, proposed_by, approved_by) VALUES
    ('ack-zh', 1, 'acknowledgement', 'any', 'zh', '受理确认', '您好，{customer_name}。您的投诉已受理，编号 {case_number}，由{handler_name}负责处理，我们会在 {due_date} 前给您答复。今天我们就会开始核实，不需要您重复说明情况。', 'approved', 'seed', 'seed'),
    ('ack-en', 1, 'acknowledgement', 'any', 'en', 'Acknowledgement', 'Dear {customer_name}, your complaint is registered as {case_number} and {handler_name} is handling it. We will answer you by {due_date}. We start checking today, and you will not need to tell your story again.', 'approved', 'seed', 'seed'),
    ('info-zh', 1, 'info_request', 'any', 'zh', '补充信息', '您好，{customer_name}。为尽快处理投诉 {case_number}，请您补充以下信息：[请填写所需信息]。收到后我们会继续处理，并在 {due_date} 前答复您。', 'approved', 'seed', 'seed'),
    ('info-en', 1, 'info_request', 'any', 'en', 'Information request', 'Dear {customer_name}, to move your complaint {case_number} forward we need the following from you: [the information needed]. Once we have it we will continue, and answer you by {due_date}.', 'approved', 'seed', 'seed'),
    ('proposal-zh', 1, 'proposal', 'any', 'zh', '处理方案', '您好，{customer_name}。关于投诉 {case_number}，经核实，我们向您提出以下处理方案：[方案内容]，涉及金额 {amount}。如有疑问，请随时联系{handler_name}。', 'approved', 'seed', 'seed'),
    ('proposal-en', 1, 'proposal', 'any', 'en', 'Proposal', 'Dear {customer_name}, having looked into complaint {case_number}, we propose the following: [the resolution], amounting to {amount}. If anything is unclear, {handler_name} will be glad to explain.', 'approved', 'seed', 'seed'),
    ('refusal-zh', 1, 'refusal', 'any', 'zh', '合理拒绝（礼貌而坚定）', '您好，{customer_name}。关于投诉 {case_number}，我们已按规定完整核实。很抱歉，我们的客户很多，我们是按照既定规定和流程为每一位客户服务的，您提出的要求超出了规定，我们无法同意。这是经过主管审核的答复，每一位接待您的同事都会给您同样的答复。如您不同意，可以通过申诉由上一级负责人重新审查。', 'approved', 'seed', 'seed'),
    ('refusal-en', 1, 'refusal', 'any', 'en', 'Reasoned refusal (polite and firm)', 'Dear {customer_name}, we have checked complaint {case_number} fully against our rules. We are sorry, but we serve many customers and follow the same rules and steps for each of them; what you ask goes beyond them, and we cannot agree to it. This answer is approved by a supervisor, and every colleague who speaks with you will give you the same answer. If you disagree, you may appeal, and a more senior person will review the case afresh.', 'approved', 'seed', 'seed'),
    ('appeal-zh', 1, 'appeal_answer', 'any', 'zh', '申诉答复', '您好，{customer_name}。您对投诉 {case_number} 的申诉已由上一级负责人重新审查，结论如下：[审查结论]。如您仍不满意，可以向{regulator}反映。', 'approved', 'seed', 'seed'),
    ('appeal-en', 1, 'appeal_answer', 'any', 'en', 'Appeal answer', 'Dear {customer_name}, your appeal on complaint {case_number} has been reviewed afresh by a more senior person. Our conclusion: [the conclusion]. If you remain dissatisfied, you may refer your complaint to {regulator}.', 'approved', 'seed', 'seed'),
    ('closing-zh', 1, 'closing', 'any', 'zh', '办结', '您好，{customer_name}。投诉 {case_number} 已办结，感谢您告诉我们问题所在，您的意见会用于改进我们的工作。', 'approved', 'seed', 'seed'),
    ('closing-en', 1, 'closing', 'any', 'en', 'Closing', 'Dear {customer_name}, complaint {case_number} is closed. Thank you for telling us what went wrong; what you told us will help us improve.', 'approved', 'seed', 'seed'),
    ('warning-zh', 1, 'abuse_warning', 'any', 'zh', '不当言行提醒', '您好，{customer_name}。我们会继续认真处理您的投诉 {case_number}，但请您尊重接待您的工作人员：辱骂、威胁或反复骚扰式来电我们不能接受，并已记录在案。如再次发生，我们将只通过书面方式与您联系。员工的人格尊严不低于企业的形象。', 'approved', 'seed', 'seed'),
    ('warning-en', 1, 'abuse_warning', 'any', 'en', 'Warning about abusive contact', 'Dear {customer_name}, we will keep handling your complaint {case_number} carefully, but we ask you to treat our staff with respect: insults, threats and harassing repeated calls are not acceptable and have been recorded. If it happens again, we will deal with you in writing only.', 'approved', 'seed', 'seed'),
    ('callback-zh', 1, 'callback', 'any', 'zh', '回电', '您好，{customer_name}，我是负责投诉 {case_number} 的{handler_name}，按约定给您回电，向您说明目前的处理进展。', 'approved', 'seed', 'seed'),
    ('callback-en', 1, 'callback', 'any', 'en', 'Callback', 'Hello {customer_name}, this is {handler_name}, who handles complaint {case_number}, calling back as agreed to tell you where your case stands.', 'approved', 'seed', 'seed');
INSERT INTO script_events (script_key, version, type, actor) SELECT key, version, 'approved', 'seed' FROM scripts;

-- +goose Down
DROP INDEX case_events_practice_idx;
DROP TABLE script_events;
DROP TABLE scripts;
