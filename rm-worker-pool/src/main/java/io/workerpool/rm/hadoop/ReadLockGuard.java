package io.workerpool.rm.hadoop;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Tells whether the calling thread holds the scheduler's read lock, so that asking for the write lock
 * fails fast instead of waiting for ever. Exact when the JVM opens {@code java.util.concurrent.locks}
 * to this code ({@code --add-opens java.base/java.util.concurrent.locks=ALL-UNNAMED}, as the tests do);
 * otherwise it knows the scheduler paths that hold the read lock and call into the Worker Pool
 * ({@link #enterReadRegion}).
 */
final class ReadLockGuard {
  private static final Field SYNC;
  private static final Method READ_HOLD_COUNT;

  static {
    Field sync = null;
    Method count = null;
    try {
      sync = ReentrantReadWriteLock.ReadLock.class.getDeclaredField("sync");
      sync.setAccessible(true);
      count = sync.getType().getDeclaredMethod("getReadHoldCount");
      count.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException notOpen) {
      sync = null;
      count = null;
    }
    SYNC = sync;
    READ_HOLD_COUNT = count;
  }

  private final ReentrantReadWriteLock.ReadLock readLock;
  private final ThreadLocal<int[]> readRegions = ThreadLocal.withInitial(() -> new int[1]);

  ReadLockGuard(ReentrantReadWriteLock.ReadLock readLock) {
    this.readLock = readLock;
  }

  static boolean isExact() {
    return READ_HOLD_COUNT != null;
  }

  void enterReadRegion() {
    readRegions.get()[0]++;
  }

  void exitReadRegion() {
    readRegions.get()[0]--;
  }

  boolean currentThreadHoldsReadLock() {
    if (READ_HOLD_COUNT != null) {
      try {
        return (int) READ_HOLD_COUNT.invoke(SYNC.get(readLock)) > 0;
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read the scheduler's read-lock holds", e);
      }
    }
    return readRegions.get()[0] > 0;
  }
}
