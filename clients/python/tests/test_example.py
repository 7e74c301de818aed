"""The plugin's example: assume the seed role with a signed RPC call, change
the world and see it restored for the next test, and see a denial explained
through /_emu/decisions/ID (and in the report of a failing test).

Run: ACSEMU_BIN=/path/to/acsemu PYTHONPATH=clients/python python3 -m pytest clients/python/tests
"""
import pytest

from acsemu_pytest import AcsemuError


def test_seed_rows_are_there(acsemu):
    rows = acsemu.rows("12345", "cap1", "vehicle_track", limit=2)
    assert len(rows) == 2
    assert [c["Name"] for c in rows[0]["PrimaryKey"]] == ["vid", "gt"]


def test_maxcompute_for_b_assumes_the_seed_role(acsemu):
    session = acsemu.assume_role(acsemu.credentials["odpsForB"], acsemu.SEED_ROLE_ARN, "pytest")
    assert session["access_key_id"].startswith("STS.")
    who = acsemu.rpc(session, "GetCallerIdentity")
    assert who["IdentityType"] == "AssumedRoleUser"
    assert who["Arn"] == "acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/pytest"
    # Settings for the official SDKs, when they are installed.
    args, kw = acsemu.tablestore_args(session)
    assert args == (acsemu.endpoint, session["access_key_id"], session["access_key_secret"], "cap1")
    assert kw == {"sts_token": session["security_token"]}
    assert acsemu.pyodps_kwargs(acsemu.credentials["accountB"])["endpoint"] == acsemu.endpoint + "/api"


def test_write_then_restored_1(acsemu):
    acsemu.rpc(acsemu.credentials["accountB"], "CreateUser", "2015-05-01", UserName="pytest-user")
    assert acsemu.rpc(acsemu.credentials["accountB"], "GetUser", "2015-05-01", UserName="pytest-user")["User"]["UserName"] == "pytest-user"
    assert acsemu.health()["users"] == 2


def test_write_then_restored_2(acsemu):
    # The previous test's user is gone: the fixture restored the session's start.
    with pytest.raises(AcsemuError) as e:
        acsemu.rpc(acsemu.credentials["accountB"], "GetUser", "2015-05-01", UserName="pytest-user")
    assert e.value.body["Code"] == "EntityNotExist.User"
    assert acsemu.health()["users"] == 1


def test_denial_explained(acsemu):
    with pytest.raises(AcsemuError) as e:
        acsemu.assume_role(acsemu.credentials["etl"], acsemu.SEED_ROLE_ARN)
    assert e.value.status == 403
    assert e.value.body["Code"] == "NoPermission"
    d = acsemu.decision(e.value.decision)
    assert d["outcome"] == "deny"
    assert d["action"] == "sts:AssumeRole"
    assert d["principal"]["arn"] == "acs:ram::56789:user/etl"
    assert d["decidingLayer"] in ("trust-policy", "caller-permission-to-assume")


def test_failing_test_report_names_the_denial(pytester):
    pytester.makeconftest('pytest_plugins = ["acsemu_pytest.plugin"]')
    pytester.makepyfile("""
        def test_inner(acsemu):
            try:
                acsemu.assume_role(acsemu.credentials["etl"])
            except Exception:
                pass
            assert False, "inner failure"
    """)
    r = pytester.runpytest_subprocess("-rA")
    r.assert_outcomes(failed=1)
    out = r.stdout.str()
    assert "acsemu decisions" in out
    assert "deny sts:AssumeRole on acs:ram::12345:role/aliyunodpsroleforotheruser" in out
    assert "principal: acs:ram::56789:user/etl" in out


def test_attach_to_a_running_acsemu(acsemu, monkeypatch):
    from acsemu_pytest import start
    monkeypatch.setenv("ACSEMU_ENDPOINT", acsemu.endpoint)
    other = start()
    assert other.proc is None and other.endpoint == acsemu.endpoint
    session = other.assume_role(other.credentials["odpsForB"])
    assert session["access_key_id"].startswith("STS.")
    assert acsemu.health()["sessions"] == 1
    other.stop()
    assert acsemu.health()["status"] == "ready"
    with pytest.raises(RuntimeError, match="does not answer /_emu/health"):
        start(endpoint="http://127.0.0.1:1")
