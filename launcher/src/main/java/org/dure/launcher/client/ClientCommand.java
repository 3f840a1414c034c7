package org.dure.launcher.client;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A researcher command: connects with the shared {@link Connection} options, runs, and turns failures into
 * the documented exit codes ({@link Exit}) with one line on stderr that says what to do.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Spec CommandSpec spec;

  /** Runs against the API; returns the exit code. */
  abstract int run(Api api, PrintWriter out) throws ApiException, java.io.IOException, InterruptedException;

  @Override public final Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    try {
      return run(connection.open(err), out);
    } catch (Connection.UsageException e) {
      err.println("dure " + spec.qualifiedName().replaceFirst("^dure ", "") + ": " + e.getMessage());
      return Exit.USAGE;
    } catch (ApiException e) {
      err.println(e.getMessage());
      return e.exitCode;
    } catch (java.io.IOException e) {
      err.println("dure " + spec.qualifiedName().replaceFirst("^dure ", "") + ": " + e.getMessage());
      return Exit.STUDY_NOT_COMPLETED;
    } finally {
      out.flush();
      err.flush();
    }
  }
}
