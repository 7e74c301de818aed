'use strict';
// RAM 2015-05-01 (rpc-api.md §9): every action's success shape and the
// error codes of §7, signed with V1 by the account root unless noted.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { start, reloaded, SRC } = require('../support/emu');
const { client } = require('../support/rpc');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ram.json');
const ROOT = 'LTAIramRootA12345';
const SECRETS = {
  LTAIramRootA12345: 'ram-secret-root-a', LTAIramAuditor12345: 'ram-secret-auditor',
  LTAIramAlice12345: 'ram-secret-alice', LTAIramRootB56789: 'ram-secret-root-b',
};
const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const DOC = (action, resource = '*', effect = 'Allow') =>
  JSON.stringify({ Version: '1', Statement: [{ Effect: effect, Action: action, Resource: resource }] });
const TRUST = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
  Principal: { RAM: ['acs:ram::12345:root'] } }] });

function ok(r) {
  assert.strictEqual(r.status, 200, JSON.stringify(r.body));
  assert.ok(!('Code' in r.body));
  assert.match(r.body.RequestId, /^[0-9A-F-]{36}$/);
  return r.body;
}

function fails(r, status, code, message) {
  assert.strictEqual(r.status, status, JSON.stringify(r.body));
  assert.strictEqual(r.body.Code, code);
  if (message instanceof RegExp) assert.match(r.body.Message, message);
  else if (message) assert.strictEqual(r.body.Message, message);
  return r.body;
}

test('RAM API', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  const call = client(emu, SECRETS);
  const root = (action, params, opts) => call(ROOT, action, params, opts);

  await t.test('GetAccountAlias', async () => {
    assert.strictEqual(ok(await root('GetAccountAlias')).AccountAlias, 'ram-a');
    assert.strictEqual(ok(await call('LTAIramRootB56789', 'GetAccountAlias')).AccountAlias, 'ram-b');
  });

  await t.test('users: create, get, update, list, delete', async () => {
    const c = ok(await root('CreateUser', { UserName: 'Carol.x_1', DisplayName: 'Carol', Email: 'c@example.com',
      MobilePhone: '86-18600000000', Comments: 'hi' })).User;
    assert.match(c.UserId, /^\d{16}$/);
    assert.strictEqual(c.UserName, 'Carol.x_1');
    assert.strictEqual(c.DisplayName, 'Carol');
    assert.strictEqual(c.Email, 'c@example.com');
    assert.match(c.CreateDate, DATE);
    // Names compare case-insensitively; the stored name keeps its case.
    fails(await root('CreateUser', { UserName: 'carol.X_1' }), 409, 'EntityAlreadyExists.User',
      'The user does already EXIST.');
    const g = ok(await root('GetUser', { UserName: 'CAROL.X_1' })).User;
    assert.strictEqual(g.UserName, 'Carol.x_1');
    assert.strictEqual(g.UserId, c.UserId);
    assert.match(g.UpdateDate, DATE);
    fails(await root('CreateUser', { UserName: 'bad name' }), 400, 'InvalidParameter.UserName.InvalidChars',
      'The parameter - "UserName" contains invalid chars.');
    fails(await root('CreateUser', { UserName: 'x'.repeat(65) }), 400, 'InvalidParameter.UserName.Length',
      'The parameter - "UserName" beyond the length limit.');
    fails(await root('CreateUser', {}), 400, 'MissingParameter',
      'The input parameter "UserName" that is mandatory for processing this request is not supplied.');
    fails(await root('GetUser', { UserName: 'nobody' }), 404, 'EntityNotExist.User', 'The user does not exist.');

    const u = ok(await root('UpdateUser', { UserName: 'carol.x_1', NewUserName: 'carol2', NewComments: 'renamed' })).User;
    assert.strictEqual(u.UserName, 'carol2');
    assert.strictEqual(u.Comments, 'renamed');
    fails(await root('GetUser', { UserName: 'Carol.x_1' }), 404, 'EntityNotExist.User');
    fails(await root('UpdateUser', { UserName: 'carol2', NewUserName: 'alice' }), 409, 'EntityAlreadyExists.User');

    ok(await root('DeleteUser', { UserName: 'carol2' }));
    fails(await root('DeleteUser', { UserName: 'carol2' }), 404, 'EntityNotExist.User');
  });

  await t.test('ListUsers pages with Marker and MaxItems', async () => {
    const all = ok(await root('ListUsers')).Users.User.map((u) => u.UserName);
    assert.deepStrictEqual(all, ['auditor', 'alice', 'boss', 'builder']);
    assert.strictEqual(ok(await root('ListUsers')).IsTruncated, false);
    const p1 = ok(await root('ListUsers', { MaxItems: '3' }));
    assert.strictEqual(p1.IsTruncated, true);
    assert.deepStrictEqual(p1.Users.User.map((u) => u.UserName), ['auditor', 'alice', 'boss']);
    const p2 = ok(await root('ListUsers', { MaxItems: '3', Marker: p1.Marker }));
    assert.strictEqual(p2.IsTruncated, false);
    assert.ok(!('Marker' in p2));
    assert.deepStrictEqual(p2.Users.User.map((u) => u.UserName), ['builder']);
    fails(await root('ListUsers', { MaxItems: '0' }), 400, 'InvalidParameter',
      'The specified parameter "MaxItems" is not valid.');
    fails(await root('ListUsers', { MaxItems: '1001' }), 400, 'InvalidParameter');
    fails(await root('ListUsers', { Marker: 'zzz' }), 400, 'InvalidParameter');
  });

  await t.test('access keys: new keys work at once, inactive and deleted ones stop at once', async () => {
    ok(await root('CreateUser', { UserName: 'keyed' }));
    const k = ok(await root('CreateAccessKey', { UserName: 'keyed' })).AccessKey;
    assert.match(k.AccessKeyId, /^LTAI[A-Za-z0-9]{20}$/);
    assert.match(k.AccessKeySecret, /^[A-Za-z0-9]{30}$/);
    assert.strictEqual(k.Status, 'Active');
    assert.match(k.CreateDate, DATE);
    const keyed = client(emu, { [k.AccessKeyId]: k.AccessKeySecret });
    // The new key authenticates on the very next request (and is denied by
    // policy: the user has none).
    fails(await keyed(k.AccessKeyId, 'ListUsers'), 403, 'NoPermission');
    ok(await root('AttachPolicyToUser', { UserName: 'keyed', PolicyType: 'System', PolicyName: 'AliyunRAMFullAccess' }));
    // Omitted UserName: the calling user's own keys.
    const mine = ok(await keyed(k.AccessKeyId, 'ListAccessKeys')).AccessKeys.AccessKey;
    assert.deepStrictEqual(mine.map((x) => [x.AccessKeyId, x.Status]), [[k.AccessKeyId, 'Active']]);
    assert.ok(!('AccessKeySecret' in mine[0]));
    ok(await root('CreateAccessKey', { UserName: 'keyed' }));
    fails(await root('CreateAccessKey', { UserName: 'keyed' }), 409, 'LimitExceeded.User.AccessKey',
      'The access key count of the user access keys beyond the current limits.');

    ok(await root('UpdateAccessKey', { UserName: 'keyed', UserAccessKeyId: k.AccessKeyId, Status: 'Inactive' }));
    fails(await keyed(k.AccessKeyId, 'ListUsers'), 400, 'InvalidAccessKeyId.Inactive');
    fails(await root('UpdateAccessKey', { UserName: 'keyed', UserAccessKeyId: k.AccessKeyId, Status: 'Sleeping' }),
      400, 'InvalidParameter');
    ok(await root('UpdateAccessKey', { UserName: 'keyed', UserAccessKeyId: k.AccessKeyId, Status: 'Active' }));
    ok(await keyed(k.AccessKeyId, 'ListUsers'));
    fails(await root('DeleteUser', { UserName: 'keyed' }), 409, 'DeleteConflict.User.AccessKey',
      'The user CAN NOT has any access key while deleting the user.');
    ok(await root('DeleteAccessKey', { UserName: 'keyed', UserAccessKeyId: k.AccessKeyId }));
    fails(await keyed(k.AccessKeyId, 'ListUsers'), 404, 'InvalidAccessKeyId.NotFound');
    fails(await root('DeleteAccessKey', { UserName: 'keyed', UserAccessKeyId: k.AccessKeyId }), 404,
      'EntityNotExist.User.AccessKey', 'The user access key does not exist.');
    fails(await root('ListAccessKeys'), 400, 'MissingParameter');
  });

  await t.test('groups and membership', async () => {
    const g = ok(await root('CreateGroup', { GroupName: 'Dev-Team', Comments: 'devs' })).Group;
    assert.match(g.GroupId, /^\d{16}$/);
    assert.strictEqual(g.GroupName, 'Dev-Team');
    assert.strictEqual(g.Comments, 'devs');
    fails(await root('CreateGroup', { GroupName: 'dev-team' }), 409, 'EntityAlreadyExists.Group',
      'The group does already EXIST.');
    fails(await root('CreateGroup', { GroupName: 'dev_team' }), 400, 'InvalidParameter.GroupName.InvalidChars');
    assert.strictEqual(ok(await root('GetGroup', { GroupName: 'DEV-TEAM' })).Group.Comments, 'devs');
    fails(await root('GetGroup', { GroupName: 'ghosts' }), 404, 'EntityNotExist.Group', 'The group does not exist.');
    const u = ok(await root('UpdateGroup', { GroupName: 'dev-team', NewGroupName: 'devs', NewComments: 'renamed' })).Group;
    assert.deepStrictEqual([u.GroupName, u.Comments], ['devs', 'renamed']);
    assert.deepStrictEqual(ok(await root('ListGroups')).Groups.Group.map((x) => x.GroupName), ['admins', 'devs']);

    ok(await root('AddUserToGroup', { GroupName: 'devs', UserName: 'alice' }));
    fails(await root('AddUserToGroup', { GroupName: 'devs', UserName: 'ALICE' }), 409,
      'EntityAlreadyExists.User.Group', 'The user has already joined the group.');
    fails(await root('AddUserToGroup', { GroupName: 'devs', UserName: 'nobody' }), 404, 'EntityNotExist.User');
    assert.deepStrictEqual(ok(await root('ListGroupsForUser', { UserName: 'alice' })).Groups.Group.map((x) => x.GroupName),
      ['devs']);
    assert.deepStrictEqual(ok(await root('ListUsersForGroup', { GroupName: 'devs' })).Users.User.map((x) => x.UserName),
      ['alice']);
    fails(await root('DeleteGroup', { GroupName: 'devs' }), 409, 'DeleteConflict.Group.User',
      'The group CAN NOT has any user member while deleting the group.');
    // A user without keys: group membership, then an attachment block deletion.
    ok(await root('CreateUser', { UserName: 'member' }));
    ok(await root('AddUserToGroup', { GroupName: 'devs', UserName: 'member' }));
    fails(await root('DeleteUser', { UserName: 'member' }), 409, 'DeleteConflict.User.Group',
      'The user CAN NOT be in any group while deleting the user.');
    ok(await root('RemoveUserFromGroup', { GroupName: 'devs', UserName: 'member' }));
    ok(await root('AttachPolicyToUser', { UserName: 'member', PolicyType: 'System', PolicyName: 'AliyunOTSFullAccess' }));
    fails(await root('DeleteUser', { UserName: 'member' }), 409, 'DeleteConflict.User.Policy',
      'The user CAN NOT has any attached policy while deleting the user.');
    ok(await root('DetachPolicyFromUser', { UserName: 'member', PolicyType: 'System', PolicyName: 'AliyunOTSFullAccess' }));
    ok(await root('DeleteUser', { UserName: 'member' }));
    ok(await root('RemoveUserFromGroup', { GroupName: 'devs', UserName: 'alice' }));
    fails(await root('RemoveUserFromGroup', { GroupName: 'devs', UserName: 'alice' }), 404,
      'EntityNotExist.User.Group', 'The user has not joined the group.');
    ok(await root('AttachPolicyToGroup', { GroupName: 'devs', PolicyType: 'System', PolicyName: 'AliyunOTSFullAccess' }));
    fails(await root('DeleteGroup', { GroupName: 'devs' }), 409, 'DeleteConflict.Group.Policy',
      'The entity CAN NOT has any attached policy while deleting the group.');
    ok(await root('DetachPolicyFromGroup', { GroupName: 'devs', PolicyType: 'System', PolicyName: 'AliyunOTSFullAccess' }));
    ok(await root('DeleteGroup', { GroupName: 'devs' }));

    // A user joins at most 5 groups.
    for (let i = 0; i < 6; i++) ok(await root('CreateGroup', { GroupName: `g${i}` }));
    for (let i = 0; i < 5; i++) ok(await root('AddUserToGroup', { GroupName: `g${i}`, UserName: 'alice' }));
    fails(await root('AddUserToGroup', { GroupName: 'g5', UserName: 'alice' }), 409, 'LimitExceeded.User.Group');
    for (let i = 0; i < 5; i++) ok(await root('RemoveUserFromGroup', { GroupName: `g${i}`, UserName: 'alice' }));
    for (let i = 0; i < 6; i++) ok(await root('DeleteGroup', { GroupName: `g${i}` }));
  });

  await t.test('roles: case-insensitive names, lower-cased ARNs, trust grammar', async () => {
    const r = ok(await root('CreateRole', { RoleName: 'ETL-Reader', AssumeRolePolicyDocument: TRUST,
      Description: 'reads', MaxSessionDuration: '7200' })).Role;
    assert.match(r.RoleId, /^\d{19}$/);
    assert.strictEqual(r.RoleName, 'ETL-Reader');
    assert.strictEqual(r.Arn, 'acs:ram::12345:role/etl-reader');
    assert.strictEqual(r.AssumeRolePolicyDocument, TRUST);
    assert.strictEqual(r.MaxSessionDuration, 7200);
    assert.match(r.CreateDate, DATE);
    fails(await root('CreateRole', { RoleName: 'etl-reader', AssumeRolePolicyDocument: TRUST }), 409,
      'EntityAlreadyExists.Role', 'The role does already EXIST.');
    const g = ok(await root('GetRole', { RoleName: 'etl-READER' })).Role;
    assert.strictEqual(g.RoleName, 'ETL-Reader');
    assert.match(g.UpdateDate, DATE);
    fails(await root('GetRole', { RoleName: 'nope' }), 404, 'EntityNotExist.Role', 'The role does not exist.');
    fails(await root('CreateRole', { RoleName: 'bad/name', AssumeRolePolicyDocument: TRUST }), 400,
      'InvalidParameter.RoleName.InvalidChars', 'The parameter - "RoleName" contains invalid chars.');
    fails(await root('CreateRole', { RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: TRUST }), 400,
      'InvalidParameter.RoleName.Length', 'The parameter - "RoleName" beyond the length limit.');
    fails(await root('CreateRole', { RoleName: 'x', AssumeRolePolicyDocument: TRUST, MaxSessionDuration: '60' }), 400,
      'InvalidParameter');
    fails(await root('CreateRole', { RoleName: 'x', AssumeRolePolicyDocument: TRUST + ' '.repeat(6200) }), 400,
      'InvalidParameter.AssumeRolePolicyDocument.Length');
    // The engine's located message (ram-policy.md §2).
    const bad = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole',
      Principal: { RAM: ['acs:ram::12345:root'] }, Condition: { StringEqualz: { 'sts:ExternalId': 'x' } } }] });
    fails(await root('CreateRole', { RoleName: 'x', AssumeRolePolicyDocument: bad }), 400, 'MalformedPolicyDocument',
      /\$\.Statement\[0\]\.Condition.*StringEqualz/);
    fails(await root('CreateRole', { RoleName: 'x', AssumeRolePolicyDocument: '{"Version":' }), 400,
      'MalformedPolicyDocument');
    fails(await root('GetRole', { RoleName: 'x' }), 404, 'EntityNotExist.Role');

    const TRUST2 = TRUST.replace('12345:root', '56789:root');
    const u = ok(await root('UpdateRole', { RoleName: 'etl-reader', NewAssumeRolePolicyDocument: TRUST2,
      NewDescription: 'changed', NewMaxSessionDuration: '3600' })).Role;
    assert.deepStrictEqual([u.AssumeRolePolicyDocument, u.Description, u.MaxSessionDuration], [TRUST2, 'changed', 3600]);
    fails(await root('UpdateRole', { RoleName: 'etl-reader', NewAssumeRolePolicyDocument: '{}' }), 400,
      'MalformedPolicyDocument');
    assert.strictEqual(ok(await root('GetRole', { RoleName: 'etl-reader' })).Role.AssumeRolePolicyDocument, TRUST2);

    const list = ok(await root('ListRoles'));
    assert.strictEqual(list.IsTruncated, false);
    assert.deepStrictEqual(list.Roles.Role.map((x) => x.RoleName), ['Ops', 'ETL-Reader']);
    assert.ok(!('AssumeRolePolicyDocument' in list.Roles.Role[0]));

    ok(await root('AttachPolicyToRole', { RoleName: 'etl-reader', PolicyType: 'System', PolicyName: 'AliyunOTSReadOnlyAccess' }));
    fails(await root('DeleteRole', { RoleName: 'etl-reader' }), 409, 'DeleteConflict.Role.Policy',
      'The role CAN NOT has any attached policy while deleting the role.');
    ok(await root('DetachPolicyFromRole', { RoleName: 'etl-reader', PolicyType: 'System', PolicyName: 'AliyunOTSReadOnlyAccess' }));
    ok(await root('DeleteRole', { RoleName: 'ETL-READER' }));
    fails(await root('DeleteRole', { RoleName: 'etl-reader' }), 404, 'EntityNotExist.Role');
  });

  await t.test('LimitExceeded.Role after 100 roles', async () => {
    const have = ok(await root('ListRoles')).Roles.Role.length;
    for (let i = have; i < 100; i++) ok(await root('CreateRole', { RoleName: `bulk-${i}`, AssumeRolePolicyDocument: TRUST }));
    fails(await root('CreateRole', { RoleName: 'one-too-many', AssumeRolePolicyDocument: TRUST }), 409,
      'LimitExceeded.Role', 'The count of roles beyond the current limits.');
    const p1 = ok(await root('ListRoles', { MaxItems: '1000' }));
    assert.strictEqual(p1.Roles.Role.length, 100);
    for (let i = have; i < 100; i++) ok(await root('DeleteRole', { RoleName: `bulk-${i}` }));
  });

  await t.test('policies and versions', async () => {
    const p = ok(await root('CreatePolicy', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:GetRow'),
      Description: 'read ots' })).Policy;
    assert.deepStrictEqual([p.PolicyName, p.PolicyType, p.Description, p.DefaultVersion],
      ['ots-read', 'Custom', 'read ots', 'v1']);
    assert.match(p.CreateDate, DATE);
    fails(await root('CreatePolicy', { PolicyName: 'OTS-READ', PolicyDocument: DOC('ots:GetRow') }), 409,
      'EntityAlreadyExists.Policy', 'The policy does already EXIST.');
    fails(await root('CreatePolicy', { PolicyName: 'bad_name', PolicyDocument: DOC('ots:GetRow') }), 400,
      'InvalidParameter.PolicyName.InvalidChars');
    fails(await root('CreatePolicy', { PolicyName: 'p'.repeat(129), PolicyDocument: DOC('ots:GetRow') }), 400,
      'InvalidParameter.PolicyName.Length');
    fails(await root('CreatePolicy', { PolicyName: 'long', PolicyDocument: DOC('ots:GetRow') + ' '.repeat(6200) }), 400,
      'InvalidParameter.PolicyDocument.Length', 'The parameter - "PolicyDocument" beyond the length limit.');
    fails(await root('CreatePolicy', { PolicyName: 'grammar', PolicyDocument: DOC('ots:GetRow', '*', 'Maybe') }), 400,
      'MalformedPolicyDocument', /\$\.Statement\[0\]\.Effect/);
    fails(await root('CreatePolicy', { PolicyName: 'desc', PolicyDocument: DOC('x:y'), Description: 'd'.repeat(1025) }),
      400, 'InvalidParameter.Description.Length');

    const g = ok(await root('GetPolicy', { PolicyName: 'OTS-read', PolicyType: 'Custom' }));
    assert.strictEqual(g.Policy.PolicyDocument, DOC('ots:GetRow'));
    assert.strictEqual(g.Policy.AttachmentCount, 0);
    assert.deepStrictEqual([g.DefaultPolicyVersion.VersionId, g.DefaultPolicyVersion.IsDefaultVersion], ['v1', true]);
    const sys = ok(await root('GetPolicy', { PolicyName: 'AliyunRAMReadOnlyAccess', PolicyType: 'System' }));
    assert.strictEqual(sys.Policy.PolicyType, 'System');
    assert.strictEqual(sys.Policy.AttachmentCount, 1);
    assert.match(sys.DefaultPolicyVersion.PolicyDocument, /ram:Get\*/);
    fails(await root('GetPolicy', { PolicyName: 'AliyunRAMReadOnlyAccess', PolicyType: 'Custom' }), 404,
      'EntityNotExist.Policy', 'The policy does not exist.');
    fails(await root('GetPolicy', { PolicyName: 'ots-read', PolicyType: 'Managed' }), 400,
      'InvalidParameter.PolicyType', 'The parameter - "PolicyType" is incorrect.');
    fails(await root('GetPolicy', { PolicyName: 'ots-read' }), 400, 'MissingParameter');

    const all = ok(await root('ListPolicies', { MaxItems: '1000' })).Policies.Policy;
    assert.ok(all.some((x) => x.PolicyName === 'AdministratorAccess' && x.PolicyType === 'System'));
    assert.ok(all.some((x) => x.PolicyName === 'ots-read' && x.PolicyType === 'Custom'));
    const custom = ok(await root('ListPolicies', { PolicyType: 'Custom' })).Policies.Policy;
    assert.deepStrictEqual(custom.map((x) => x.PolicyName), ['DenyDeleteUser', 'CreateRolesOnly', 'ots-read']);
    const page = ok(await root('ListPolicies', { PolicyType: 'System', MaxItems: '2' }));
    assert.strictEqual(page.IsTruncated, true);
    assert.strictEqual(page.Policies.Policy.length, 2);

    const v2 = ok(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:GetRange') })).PolicyVersion;
    assert.deepStrictEqual([v2.VersionId, v2.IsDefaultVersion, v2.PolicyDocument], ['v2', false, DOC('ots:GetRange')]);
    ok(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:PutRow'), SetAsDefault: 'true' }));
    ok(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:A') }));
    ok(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:B') }));
    // Five versions at most (rpc-api.md §9.3).
    fails(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:C') }), 409,
      'LimitExceeded.Policy.Version', 'The count of policy version beyond the current limits.');
    fails(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:C', '*', 'No') }), 409,
      'LimitExceeded.Policy.Version');
    const rot = ok(await root('CreatePolicyVersion', { PolicyName: 'ots-read', PolicyDocument: DOC('ots:C'),
      RotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded' })).PolicyVersion;
    assert.strictEqual(rot.VersionId, 'v6');
    let versions = ok(await root('ListPolicyVersions', { PolicyName: 'ots-read', PolicyType: 'Custom' }))
      .PolicyVersions.PolicyVersion;
    assert.deepStrictEqual(versions.map((v) => v.VersionId), ['v2', 'v3', 'v4', 'v5', 'v6']);
    assert.deepStrictEqual(versions.filter((v) => v.IsDefaultVersion).map((v) => v.VersionId), ['v3']);

    const gv = ok(await root('GetPolicyVersion', { PolicyName: 'ots-read', PolicyType: 'Custom', VersionId: 'v3' })).PolicyVersion;
    assert.deepStrictEqual([gv.VersionId, gv.IsDefaultVersion, gv.PolicyDocument], ['v3', true, DOC('ots:PutRow')]);
    fails(await root('GetPolicyVersion', { PolicyName: 'ots-read', PolicyType: 'Custom', VersionId: 'v1' }), 404,
      'EntityNotExist.Policy.Version', 'The policy version does not exist.');
    fails(await root('GetPolicyVersion', { PolicyName: 'ots-read', PolicyType: 'Custom', VersionId: 'version1' }), 400,
      'InvalidParameter.VersionId.Format', 'The format of the parameter - "VersionId" is incorrect.');
    const sv = ok(await root('GetPolicyVersion', { PolicyName: 'AdministratorAccess', PolicyType: 'System', VersionId: 'v1' }));
    assert.strictEqual(sv.PolicyVersion.IsDefaultVersion, true);

    fails(await root('DeletePolicyVersion', { PolicyName: 'ots-read', VersionId: 'v3' }), 409,
      'DeleteConflict.Policy.Version.Default', 'The default policy version CAN NOT been deleted directly.');
    ok(await root('SetDefaultPolicyVersion', { PolicyName: 'ots-read', VersionId: 'v6' }));
    assert.strictEqual(ok(await root('GetPolicy', { PolicyName: 'ots-read', PolicyType: 'Custom' })).Policy.DefaultVersion, 'v6');
    ok(await root('DeletePolicyVersion', { PolicyName: 'ots-read', VersionId: 'v3' }));
    versions = ok(await root('ListPolicyVersions', { PolicyName: 'ots-read', PolicyType: 'Custom' })).PolicyVersions.PolicyVersion;
    assert.deepStrictEqual(versions.map((v) => v.VersionId), ['v2', 'v4', 'v5', 'v6']);

    const d = ok(await root('UpdatePolicyDescription', { PolicyName: 'ots-read', NewDescription: 'new' })).Policy;
    assert.strictEqual(d.Description, 'new');

    fails(await root('DeletePolicy', { PolicyName: 'ots-read' }), 409, 'DeleteConflict.Policy.Version',
      'The policy CAN NOT has any version except the default version.');
    ok(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'ots-read' }));
    fails(await root('DeletePolicy', { PolicyName: 'ots-read' }), 409, 'DeleteConflict.Policy.User',
      'The policy CAN NOT been attached to any user while deleting the policy.');
    ok(await root('DeletePolicy', { PolicyName: 'ots-read', CascadingDelete: 'true' }));
    assert.deepStrictEqual(ok(await root('ListPoliciesForUser', { UserName: 'alice' })).Policies.Policy, []);
    fails(await root('GetPolicy', { PolicyName: 'ots-read', PolicyType: 'Custom' }), 404, 'EntityNotExist.Policy');

    // A one-version policy attached to a group, then a role.
    ok(await root('CreatePolicy', { PolicyName: 'tmp', PolicyDocument: DOC('ots:GetRow') }));
    ok(await root('AttachPolicyToGroup', { GroupName: 'admins', PolicyType: 'Custom', PolicyName: 'tmp' }));
    fails(await root('DeletePolicy', { PolicyName: 'tmp' }), 409, 'DeleteConflict.Policy.Group');
    ok(await root('DetachPolicyFromGroup', { GroupName: 'admins', PolicyType: 'Custom', PolicyName: 'tmp' }));
    ok(await root('AttachPolicyToRole', { RoleName: 'ops', PolicyType: 'Custom', PolicyName: 'tmp' }));
    fails(await root('DeletePolicy', { PolicyName: 'tmp' }), 409, 'DeleteConflict.Policy.Role');
    ok(await root('DetachPolicyFromRole', { RoleName: 'ops', PolicyType: 'Custom', PolicyName: 'tmp' }));
    ok(await root('DeletePolicy', { PolicyName: 'tmp' }));
  });

  await t.test('attachments: list, conflicts, limits', async () => {
    ok(await root('CreatePolicy', { PolicyName: 'p0', PolicyDocument: DOC('ots:GetRow'), Description: 'zero' }));
    ok(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'P0' }));
    fails(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'p0' }), 409,
      'EntityAlreadyExists.User.Policy', 'The user has already been attached this policy.');
    ok(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'System', PolicyName: 'AliyunOTSReadOnlyAccess' }));
    fails(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'AliyunOTSFullAccess' }),
      404, 'EntityNotExist.Policy');
    fails(await root('AttachPolicyToUser', { UserName: 'ghost', PolicyType: 'Custom', PolicyName: 'p0' }), 404,
      'EntityNotExist.User');
    fails(await root('AttachPolicyToRole', { RoleName: 'ghost', PolicyType: 'Custom', PolicyName: 'p0' }), 404,
      'EntityNotExist.Role');
    fails(await root('AttachPolicyToGroup', { GroupName: 'ghost', PolicyType: 'Custom', PolicyName: 'p0' }), 404,
      'EntityNotExist.Group');
    fails(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Other', PolicyName: 'p0' }), 400,
      'InvalidParameter.PolicyType');
    const list = ok(await root('ListPoliciesForUser', { UserName: 'alice' })).Policies.Policy;
    assert.deepStrictEqual(list.map((x) => [x.PolicyName, x.PolicyType, x.DefaultVersion]),
      [['p0', 'Custom', 'v1'], ['AliyunOTSReadOnlyAccess', 'System', 'v1']]);
    assert.strictEqual(list[0].Description, 'zero');
    assert.match(list[0].AttachDate, DATE);

    ok(await root('AttachPolicyToGroup', { GroupName: 'admins', PolicyType: 'Custom', PolicyName: 'p0' }));
    fails(await root('AttachPolicyToGroup', { GroupName: 'admins', PolicyType: 'Custom', PolicyName: 'p0' }), 409,
      'EntityAlreadyExists.Group.Policy', 'The group has already been attached this policy.');
    ok(await root('AttachPolicyToRole', { RoleName: 'OPS', PolicyType: 'Custom', PolicyName: 'p0' }));
    fails(await root('AttachPolicyToRole', { RoleName: 'ops', PolicyType: 'Custom', PolicyName: 'p0' }), 409,
      'EntityAlreadyExists.Role.Policy');
    assert.deepStrictEqual(ok(await root('ListPoliciesForGroup', { GroupName: 'admins' })).Policies.Policy
      .map((x) => x.PolicyName), ['AliyunRAMFullAccess', 'p0']);
    assert.deepStrictEqual(ok(await root('ListPoliciesForRole', { RoleName: 'ops' })).Policies.Policy
      .map((x) => x.PolicyName), ['AliyunRAMFullAccess', 'p0']);

    const ents = ok(await root('ListEntitiesForPolicy', { PolicyType: 'Custom', PolicyName: 'p0' }));
    assert.deepStrictEqual(ents.Users.User.map((x) => x.UserName), ['alice']);
    assert.deepStrictEqual(ents.Groups.Group.map((x) => x.GroupName), ['admins']);
    assert.deepStrictEqual(ents.Roles.Role.map((x) => [x.RoleName, x.Arn]), [['Ops', 'acs:ram::12345:role/ops']]);
    assert.match(ents.Users.User[0].AttachDate, DATE);
    assert.strictEqual(ok(await root('GetPolicy', { PolicyName: 'p0', PolicyType: 'Custom' })).Policy.AttachmentCount, 3);

    fails(await root('DeleteUser', { UserName: 'alice' }), 409, 'DeleteConflict.User.AccessKey');
    for (const [api, key, name, code] of [['DetachPolicyFromUser', 'UserName', 'alice', 'EntityNotExist.User.Policy'],
      ['DetachPolicyFromGroup', 'GroupName', 'admins', 'EntityNotExist.Group.Policy'],
      ['DetachPolicyFromRole', 'RoleName', 'ops', 'EntityNotExist.Role.Policy']]) {
      ok(await root(api, { [key]: name, PolicyType: 'Custom', PolicyName: 'p0' }));
      fails(await root(api, { [key]: name, PolicyType: 'Custom', PolicyName: 'p0' }), 404, code);
    }
    fails(await root('DetachPolicyFromUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'p0' }), 404,
      'EntityNotExist.User.Policy', 'The indicate policy of the user does not exist.');
    ok(await root('DetachPolicyFromUser', { UserName: 'alice', PolicyType: 'System', PolicyName: 'AliyunOTSReadOnlyAccess' }));

    // 5 Custom policies per entity.
    for (let i = 1; i <= 5; i++) ok(await root('CreatePolicy', { PolicyName: `p${i}`, PolicyDocument: DOC('ots:GetRow') }));
    for (let i = 0; i < 5; i++) ok(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: `p${i}` }));
    fails(await root('AttachPolicyToUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: 'p5' }), 409,
      'LimitExceeded.User.Policy');
    for (let i = 0; i < 5; i++) ok(await root('DetachPolicyFromUser', { UserName: 'alice', PolicyType: 'Custom', PolicyName: `p${i}` }));
    for (let i = 0; i <= 5; i++) ok(await root('DeletePolicy', { PolicyName: `p${i}` }));
  });

  await t.test('XML answers mirror the JSON shape', async () => {
    const r = await root('ListRoles', {}, { xml: true });
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.headers['content-type'], 'text/xml;charset=utf-8');
    assert.match(r.body, /^<\?xml version="1.0" encoding="UTF-8"\?><ListRolesResponse><RequestId>/);
    assert.match(r.body, /<IsTruncated>false<\/IsTruncated><Roles><Role><RoleId>\d{19}<\/RoleId><RoleName>Ops<\/RoleName>/);
    const e = await root('GetRole', { RoleName: 'none' }, { xml: true });
    assert.strictEqual(e.status, 404);
    assert.match(e.body, /<Code>EntityNotExist.Role<\/Code><Message>The role does not exist.<\/Message>/);
  });

  await t.test('POST form bodies work like the query', async () => {
    const r = await root('CreateUser', { UserName: 'posted' }, { post: true });
    assert.strictEqual(ok(r).User.UserName, 'posted');
    ok(await root('DeleteUser', { UserName: 'posted' }));
  });

  await t.test('changes appear in /_emu/world and the export loads back', async () => {
    ok(await root('CreateUser', { UserName: 'exported' }));
    const k = ok(await root('CreateAccessKey', { UserName: 'exported' })).AccessKey;
    ok(await root('CreatePolicy', { PolicyName: 'exp-pol', PolicyDocument: DOC('ots:GetRow') }));
    ok(await root('CreatePolicyVersion', { PolicyName: 'exp-pol', PolicyDocument: DOC('ots:PutRow'), SetAsDefault: 'true' }));
    ok(await root('AttachPolicyToUser', { UserName: 'exported', PolicyType: 'Custom', PolicyName: 'exp-pol' }));
    ok(await root('CreateRole', { RoleName: 'ExpRole', AssumeRolePolicyDocument: TRUST }));
    ok(await root('CreateGroup', { GroupName: 'exp-group' }));
    ok(await root('AddUserToGroup', { GroupName: 'exp-group', UserName: 'exported' }));
    const exp = await emu.json('GET', '/_emu/world');
    const a = exp.body.Accounts.find((x) => x.AccountId === '12345');
    const u = a.Users.find((x) => x.UserName === 'exported');
    assert.strictEqual(u.AccessKeys[0].AccessKeyId, k.AccessKeyId);
    assert.deepStrictEqual(u.AttachedPolicies.map((x) => x.PolicyName), ['exp-pol']);
    assert.deepStrictEqual(u.Groups, ['exp-group']);
    const pol = a.Policies.find((x) => x.PolicyName === 'exp-pol');
    assert.strictEqual(pol.DefaultVersion, 'v2');
    assert.strictEqual(pol.Versions.length, 2);
    assert.ok(a.Roles.some((x) => x.RoleName === 'ExpRole'));

    await reloaded(emu, exp.body, async (emu2) => {
      // The exported key signs requests in the new process.
      const c2 = client(emu2, { [k.AccessKeyId]: k.AccessKeySecret });
      fails(await c2(k.AccessKeyId, 'ListUsers'), 403, 'NoPermission');
      const c3 = client(emu2, SECRETS);
      assert.strictEqual(ok(await c3(ROOT, 'GetPolicy', { PolicyName: 'exp-pol', PolicyType: 'Custom' }))
        .Policy.DefaultVersion, 'v2');
    });
    // Reset returns to the loaded world.
    assert.strictEqual((await emu.json('POST', '/_emu/reset')).status, 200);
    fails(await root('GetUser', { UserName: 'exported' }), 404, 'EntityNotExist.User');
  });
});
