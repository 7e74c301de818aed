package acsemu.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/** The example: assume the seed role with a signed RPC call, a write undone for the next
 * test, a denial explained through /_emu/decisions/ID and in a failing test's message. */
@ExtendWith(AcsemuExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExampleTest {
    @Test
    @Order(1)
    void maxComputeForBAssumesTheSeedRole(Acsemu emu) {
        Acsemu.Credentials s = emu.assumeRole(Acsemu.SEED_CREDENTIALS.get("odpsForB"), Acsemu.SEED_ROLE_ARN, "junit");
        assertTrue(s.accessKeyId().startsWith("STS."), s.accessKeyId());
        String who = emu.rpc(s, "GetCallerIdentity", "2015-04-01", Map.of());
        assertEquals("acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/junit", Acsemu.field(who, "Arn"));
    }

    @Test
    @Order(2)
    void aWrite(Acsemu emu) {
        emu.rpc(Acsemu.SEED_CREDENTIALS.get("accountB"), "CreateUser", "2015-05-01", Map.of("UserName", "junit-user"));
        assertEquals("2", Acsemu.field(emu.health(), "users"));
    }

    @Test
    @Order(3)
    void isUndoneForTheNextTest(Acsemu emu) {
        Acsemu.AcsemuException e = assertThrows(Acsemu.AcsemuException.class, () ->
                emu.rpc(Acsemu.SEED_CREDENTIALS.get("accountB"), "GetUser", "2015-05-01", Map.of("UserName", "junit-user")));
        assertEquals("EntityNotExist.User", e.code());
    }

    @Test
    @Order(4)
    void aDenialExplained(Acsemu emu) {
        Acsemu.AcsemuException e = assertThrows(Acsemu.AcsemuException.class, () ->
                emu.assumeRole(Acsemu.SEED_CREDENTIALS.get("etl"), Acsemu.SEED_ROLE_ARN, "etl"));
        assertEquals(403, e.status);
        assertEquals("NoPermission", e.code());
        String d = emu.decision(e.decision);
        assertEquals("deny", Acsemu.field(d, "outcome"));
        assertEquals("sts:AssumeRole", Acsemu.field(d, "action"));
        assertTrue(emu.denialsSince(0).contains("acsemu decision " + e.decision + ": deny sts:AssumeRole on " + Acsemu.SEED_ROLE_ARN));
    }

    /** Runs only when launched by aFailingTestReportsTheDenial. */
    @ExtendWith(AcsemuExtension.class)
    @EnabledIfSystemProperty(named = "acsemu.inner", matches = "true")
    static class InnerFailing {
        @Test
        void fails(Acsemu emu) {
            assertThrows(Acsemu.AcsemuException.class, () ->
                    emu.assumeRole(Acsemu.SEED_CREDENTIALS.get("etl"), Acsemu.SEED_ROLE_ARN, "etl"));
            assertEquals(1, 2, "inner failure");
        }
    }

    @Test
    @Order(5)
    void aFailingTestReportsTheDenial() {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        System.setProperty("acsemu.inner", "true");
        try {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectClass(InnerFailing.class)).build(), listener);
        } finally {
            System.clearProperty("acsemu.inner");
        }
        assertEquals(1, listener.getSummary().getFailures().size());
        String msg = listener.getSummary().getFailures().get(0).getException().getMessage();
        assertTrue(msg.contains("inner failure"), msg);
        assertTrue(msg.contains("deny sts:AssumeRole on " + Acsemu.SEED_ROLE_ARN), msg);
        assertTrue(msg.contains("decided by: "), msg);
    }
}
