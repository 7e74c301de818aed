package acsemu.junit;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * JUnit 5 extension: {@code @ExtendWith(AcsemuExtension.class)} and an {@link Acsemu}
 * parameter. One acsemu for the whole run (stopped when JUnit closes the root store); each test
 * gets the state of the run's start back afterwards (checkpoint/restore); a failing test's
 * exception gets the denials acsemu recorded during the test appended, each explained.
 * System properties {@code acsemu.bin} and {@code acsemu.world} (else $ACSEMU_BIN / PATH and the seed).
 */
public final class AcsemuExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver,
        TestExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(AcsemuExtension.class);
    private static final String CHECKPOINT = "acsemu-junit-start";

    private static final class Handle implements ExtensionContext.Store.CloseableResource {
        final Acsemu emu;

        Handle(Acsemu emu) {
            this.emu = emu;
        }

        @Override
        public void close() throws Throwable {
            emu.close();
        }
    }

    private static Acsemu emu(ExtensionContext ctx) {
        return ctx.getRoot().getStore(NS).getOrComputeIfAbsent("acsemu", k -> {
            try {
                String world = System.getProperty("acsemu.world");
                Acsemu a = Acsemu.start(System.getProperty("acsemu.bin"), world == null ? null : Path.of(world));
                a.checkpoint(CHECKPOINT);
                return new Handle(a);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start acsemu: " + e.getMessage(), e);
            }
        }, Handle.class).emu;
    }

    @Override
    public void beforeEach(ExtensionContext ctx) {
        ctx.getStore(NS).put("mark", emu(ctx).lastDecision());
    }

    @Override
    public void afterEach(ExtensionContext ctx) {
        emu(ctx).restore(CHECKPOINT);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        return p.getParameter().getType() == Acsemu.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        return emu(ctx);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext ctx, Throwable t) throws Throwable {
        Integer mark = ctx.getStore(NS).get("mark", Integer.class);
        String text;
        try {
            text = emu(ctx).denialsSince(mark == null ? 0 : mark);
        } catch (RuntimeException e) {
            text = "acsemu: could not read decisions: " + e.getMessage();
        }
        AssertionError explained = new AssertionError(t.getMessage() + "\n" + text, t);
        explained.setStackTrace(t.getStackTrace());
        throw explained;
    }
}
