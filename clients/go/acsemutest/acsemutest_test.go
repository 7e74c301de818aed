package acsemutest_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"acsemu/clients/go/acsemutest"
)

// The example: the seed world's rows are there, MaxCompute for B assumes the
// seed role with a signed RPC call, a RAM write is undone for the next test,
// and a denial is explained through /_emu/decisions/ID.
func TestSeedWorld(t *testing.T) {
	emu := acsemutest.Start(t)

	t.Run("rows", func(t *testing.T) {
		r, err := emu.Admin("GET", "tables/12345/cap1/vehicle_track/rows?limit=3", nil)
		if err != nil {
			t.Fatal(err)
		}
		if rows, _ := r["Rows"].([]any); len(rows) != 3 {
			t.Fatalf("rows: %v", r)
		}
	})

	t.Run("assume the seed role", func(t *testing.T) {
		emu.ExplainOnFailure(t)
		s, err := emu.AssumeRole(emu.Credentials["odpsForB"], acsemutest.SeedRoleArn, "go-test")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.AccessKeyID, "STS.") || s.SecurityToken == "" {
			t.Fatalf("credentials: %+v", s)
		}
		who, err := emu.RPC(s, "GetCallerIdentity", "2015-04-01", nil)
		if err != nil {
			t.Fatal(err)
		}
		if who["Arn"] != "acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/go-test" {
			t.Fatalf("GetCallerIdentity: %v", who)
		}
		ep, inst, id, _, tok := emu.TablestoreConfig(s, "cap1")
		if ep != emu.Endpoint || inst != "cap1" || id != s.AccessKeyID || tok != s.SecurityToken {
			t.Fatal("TablestoreConfig")
		}
	})

	t.Run("write, undone by Fresh", func(t *testing.T) {
		t.Run("create", func(t *testing.T) {
			emu.Fresh(t)
			if _, err := emu.RPC(emu.Credentials["accountB"], "CreateUser", "2015-05-01", map[string]string{"UserName": "go-user"}); err != nil {
				t.Fatal(err)
			}
			if h, _ := emu.Health(); h["users"].(float64) != 2 {
				t.Fatalf("health: %v", h)
			}
		})
		_, err := emu.RPC(emu.Credentials["accountB"], "GetUser", "2015-05-01", map[string]string{"UserName": "go-user"})
		var ae *acsemutest.Error
		if !errors.As(err, &ae) || ae.Code != "EntityNotExist.User" {
			t.Fatalf("the user outlived its test: %v", err)
		}
	})

	t.Run("a denial explained", func(t *testing.T) {
		_, err := emu.AssumeRole(emu.Credentials["etl"], acsemutest.SeedRoleArn, "etl")
		var ae *acsemutest.Error
		if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "NoPermission" || ae.Decision == "" {
			t.Fatalf("want NoPermission with a decision id, got %v", err)
		}
		d, err := emu.Decision(ae.Decision)
		if err != nil {
			t.Fatal(err)
		}
		text := acsemutest.FormatDecision(d)
		for _, want := range []string{"deny sts:AssumeRole on " + acsemutest.SeedRoleArn, "principal: acs:ram::56789:user/etl", "decided by: "} {
			if !strings.Contains(text, want) {
				t.Fatalf("%q not in\n%s", want, text)
			}
		}
		if got := emu.DenialsSince(0); !strings.Contains(got, "acsemu decision "+ae.Decision+": deny sts:AssumeRole") {
			t.Fatalf("DenialsSince: %s", got)
		}
	})
}

// A failing test logs the denials: run a failing test in a child `go test`
// and read its output.
func TestExplainOnFailureLogsDenials(t *testing.T) {
	if os.Getenv("ACSEMUTEST_CHILD") == "1" {
		emu := acsemutest.Start(t)
		emu.ExplainOnFailure(t)
		_, _ = emu.AssumeRole(emu.Credentials["etl"], acsemutest.SeedRoleArn, "etl")
		t.Fatal("inner failure")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestExplainOnFailureLogsDenials$", "-test.v")
	cmd.Env = append(os.Environ(), "ACSEMUTEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the inner test passed:\n%s", out)
	}
	for _, want := range []string{"inner failure", "deny sts:AssumeRole on " + acsemutest.SeedRoleArn, "principal: acs:ram::56789:user/etl"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("%q not in the failing test's output:\n%s", want, out)
		}
	}
}

func TestWorldDocument(t *testing.T) {
	world := map[string]any{"Region": "cn-hangzhou", "Accounts": []any{map[string]any{
		"AccountId":  "111",
		"AccessKeys": []any{map[string]any{"AccessKeyId": "LTAIowner111", "AccessKeySecret": "owner-secret"}},
		"Users": []any{map[string]any{"UserName": "u", "AccessKeys": []any{
			map[string]any{"AccessKeyId": "LTAIu111", "AccessKeySecret": "u-secret"}}}},
	}}}
	emu := acsemutest.Start(t, acsemutest.WithWorld(world))
	if _, ok := emu.Credentials["111/u"]; !ok {
		t.Fatalf("credentials: %v", emu.Credentials)
	}
	who, err := emu.RPC(emu.Credentials["111/u"], "GetCallerIdentity", "2015-04-01", nil)
	if err != nil || who["Arn"] != "acs:ram::111:user/u" {
		t.Fatalf("GetCallerIdentity: %v %v", who, err)
	}
}

func TestAttach(t *testing.T) {
	owner := acsemutest.Start(t)
	t.Setenv("ACSEMU_ENDPOINT", owner.Endpoint)
	emu := acsemutest.Start(t)
	if emu.Endpoint != owner.Endpoint {
		t.Fatalf("attached to %s, not %s", emu.Endpoint, owner.Endpoint)
	}
	emu.Fresh(t)
	if _, err := emu.AssumeRole(emu.Credentials["odpsForB"], acsemutest.SeedRoleArn, "attached"); err != nil {
		t.Fatal(err)
	}
	if h, _ := owner.Health(); h["sessions"].(float64) != 1 {
		t.Fatalf("health of the owner: %v", h)
	}
	if err := emu.Stop(); err != nil {
		t.Fatal(err)
	}
	if h, err := owner.Health(); err != nil || h["status"] != "ready" {
		t.Fatalf("Stop of an attached emulator stopped it: %v %v", h, err)
	}
}
