package io.workerpool.it;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Awaitility fails an await when any thread of the JVM dies of an uncaught exception. The in-JVM clusters' Hadoop
 * daemons throw such exceptions while NodeManagers stop or restart (a localizer thread interrupted, a deletion
 * service already stopped); an await running then, in whatever test, must not take that for its own failure. The
 * tests judge from what the workers, the nodes and the scheduler report. Registered for every class of this module
 * (junit-platform.properties), so that the setting does not depend on which class ran first.
 */
public final class HadoopThreadNoise implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    Awaitility.doNotCatchUncaughtExceptionsByDefault();
  }
}
