package io.workerpool.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;

/** Collects what one Hadoop class logs while the capture is on, with each line's time. */
public final class LogCapture extends AppenderSkeleton {
  /** One logged line: when (epoch ms) and what. */
  public record Line(long atMs, String message) {
  }

  private final Class<?> source;
  private final List<Line> lines = new ArrayList<>();

  private LogCapture(Class<?> source) {
    this.source = source;
  }

  public static LogCapture start(Class<?> source) {
    LogCapture capture = new LogCapture(source);
    Logger.getLogger(source).addAppender(capture);
    return capture;
  }

  public List<Line> lines() {
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }

  public List<String> messages() {
    return lines().stream().map(Line::message).toList();
  }

  /** The first line that contains {@code text}. */
  public Optional<Line> first(String text) {
    return lines().stream().filter(l -> l.message().contains(text)).findFirst();
  }

  public List<String> stop() {
    Logger.getLogger(source).removeAppender(this);
    return messages();
  }

  @Override
  protected void append(LoggingEvent event) {
    synchronized (lines) {
      lines.add(new Line(event.getTimeStamp(), event.getRenderedMessage()));
    }
  }

  @Override
  public void close() {
  }

  @Override
  public boolean requiresLayout() {
    return false;
  }
}
