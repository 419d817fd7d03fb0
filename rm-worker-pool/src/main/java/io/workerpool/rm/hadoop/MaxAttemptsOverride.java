package io.workerpool.rm.hadoop;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMApp;
import org.apache.hadoop.yarn.server.resourcemanager.rmapp.RMAppImpl;

/**
 * Lets an application submitted with max attempts 1 (stock Flink without HA) get its one
 * replacement attempt: {@code RMAppImpl.AttemptFailedTransition} refuses any new attempt when
 * the private final field {@code maxAppAttempts} is 1, whatever the exit status. The field is
 * raised to 2 just before AM1 ends and put back once AM2 exists, so a real failure of AM2 still
 * ends the application. The field is never persisted, so an RM restart sees the submitted value.
 */
final class MaxAttemptsOverride {
  private static final Field MAX_APP_ATTEMPTS = findField();

  private final Map<ApplicationId, Integer> raised = new ConcurrentHashMap<>();

  /** Fails RM start-up loudly when Hadoop no longer has the field this relies on. */
  static void selfCheck() {
    if (MAX_APP_ATTEMPTS == null) {
      throw new IllegalStateException("RMAppImpl.maxAppAttempts (private final int) was not found: this Hadoop"
          + " version is not supported by the Worker Pool");
    }
  }

  void allowOneMoreAttempt(RMApp app) {
    if (app.getMaxAppAttempts() == 1) {
      set(app, 2);
      raised.put(app.getApplicationId(), 1);
    }
  }

  void restore(RMApp app) {
    Integer original = raised.remove(app.getApplicationId());
    if (original != null) {
      set(app, original);
    }
  }

  private static void set(RMApp app, int attempts) {
    try {
      MAX_APP_ATTEMPTS.setInt(app, attempts);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot change maxAppAttempts of " + app.getApplicationId(), e);
    }
  }

  private static Field findField() {
    try {
      Field field = RMAppImpl.class.getDeclaredField("maxAppAttempts");
      if (field.getType() != int.class || Modifier.isStatic(field.getModifiers())) {
        return null;
      }
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException | RuntimeException e) {
      return null;
    }
  }
}
