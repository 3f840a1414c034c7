package org.dure.agent.doctor;

/**
 * One verdict of {@code dure agent doctor}.
 *
 * @param name what was checked, e.g. {@code "TLS certificate expiry"}
 * @param ok whether it is fine
 * @param detail what was found, in plain words
 * @param fix for a problem, what to do about it (null when ok)
 */
public record Check(String name, boolean ok, String detail, String fix) {
  public static Check ok(String name, String detail) {
    return new Check(name, true, detail, null);
  }

  public static Check problem(String name, String detail, String fix) {
    return new Check(name, false, detail, fix);
  }
}
