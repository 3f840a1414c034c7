package org.dure.pseudonymisation;

import java.util.HashMap;
import java.util.Map;

/**
 * Korea's seventeen first-level divisions (시/도) under their short names, recognised from the first token
 * of an address in its official, former or short spelling: {@code 서울특별시}, {@code 서울시} and {@code 서울}
 * all give {@code 서울}; {@code 강원도} and {@code 강원특별자치도} give {@code 강원}.
 */
final class KoreanProvinces {
  /** What an address whose first token is no 시/도 becomes: never the token itself, which may be a village or a building. */
  static final String UNRECOGNISED = "기타";

  private static final Map<String, String> SHORT = new HashMap<>();

  static {
    add("서울", "서울특별시", "서울시");
    add("부산", "부산광역시", "부산시");
    add("대구", "대구광역시", "대구시");
    add("인천", "인천광역시", "인천시");
    add("광주", "광주광역시"); // not "광주시": that is also a city in 경기도
    add("대전", "대전광역시", "대전시");
    add("울산", "울산광역시", "울산시");
    add("세종", "세종특별자치시", "세종시");
    add("경기", "경기도");
    add("강원", "강원도", "강원특별자치도");
    add("충북", "충청북도");
    add("충남", "충청남도");
    add("전북", "전라북도", "전북특별자치도");
    add("전남", "전라남도");
    add("경북", "경상북도");
    add("경남", "경상남도");
    add("제주", "제주도", "제주특별자치도");
  }

  private KoreanProvinces() {}

  private static void add(String shortName, String... spellings) {
    SHORT.put(shortName, shortName);
    for (String s : spellings) SHORT.put(s, shortName);
  }

  /** The short 시/도 name of {@code address}, or {@link #UNRECOGNISED}. */
  static String of(String address) {
    String a = address.strip();
    int end = 0;
    while (end < a.length() && !Character.isWhitespace(a.charAt(end)) && a.charAt(end) != ',') end++;
    return SHORT.getOrDefault(a.substring(0, end), UNRECOGNISED);
  }
}
