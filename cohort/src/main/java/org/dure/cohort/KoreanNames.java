package org.dure.cohort;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Korean full names (family name followed by a two-syllable given name, in Hangul). Family names follow
 * the 2015 census frequencies (in thousands of people); given names are the popular names of the
 * person's birth cohort and sex, drawn with a Zipf-like weight by rank.
 */
final class KoreanNames {
  private static final WeightedList<String> FAMILY = WeightedList.parse(
      "김:10690 이:7307 박:4193 최:2334 정:2152 강:1177 조:1056 윤:1021 장:993 임:823 한:773 오:763 서:752 "
      + "신:741 권:706 황:698 안:686 송:684 유:900 류:170 전:559 홍:559 고:472 문:465 양:461 손:457 배:400 "
      + "백:381 허:326 남:275 심:272 하:230 노:220 구:208 곽:203 주:202 성:199 차:198 우:190 민:172 나:171 "
      + "진:168 지:159 엄:145 방:134 원:132 채:131 변:130 천:118 현:96 공:90 함:79 염:69 여:69 추:61 "
      + "도:56 소:51 석:51 선:43 설:41 마:40 길:38 연:34 위:34 표:33 명:31 반:28 기:26 옥:23 왕:24 금:22 "
      + "육:22 인:22 맹:21 제:22 모:21 탁:21 국:20 남궁:19 황보:10 제갈:6 선우:3 독고:2");

  /** Popular given names by birth cohort, most popular first: {cohort start year, male names, female names}. */
  private static final List<Cohort> COHORTS = List.of(
      new Cohort(0,
          "영수 영호 영식 영철 정수 정호 상철 성수 광수 종수 병철 영길 정남 춘식 만수 동수 용수 재호 상호 영진",
          "순자 영자 정자 영숙 명숙 옥순 말순 춘자 정숙 영순 경자 순옥 옥자 정순 순희 영희 명자 숙자 복순 점순"),
      new Cohort(1955,
          "영수 성호 정호 영호 성수 영철 정수 상철 현철 성진 재영 종호 승호 동훈 정훈 병수 경수 창호 명호 기철",
          "미경 미숙 경희 영미 미영 정희 영숙 경숙 정미 은주 선희 현숙 명희 숙희 혜숙 미자 영희 순희 인숙 정숙"),
      new Cohort(1970,
          "성호 정훈 성훈 상훈 성민 준호 정민 성진 재훈 지훈 민수 동현 현우 상현 재민 영훈 태호 준영 민호 진우",
          "미영 은정 현정 지영 은영 미정 은주 혜진 수진 정은 은희 지은 선영 유정 현주 미진 윤정 진영 소영 경아"),
      new Cohort(1985,
          "지훈 현우 동현 민수 성민 준영 민준 도현 건우 승현 준호 지원 민재 성현 재현 우진 현준 상민 태윤 동욱",
          "지현 민지 수빈 유진 지은 은지 수진 예진 혜원 지원 서연 지영 민정 다은 지혜 수연 보람 슬기 하나 아름"),
      new Cohort(2000,
          "민준 서준 도윤 예준 시우 하준 주원 지호 지후 준우 현우 건우 우진 준서 도현 선우 서진 연우 유준 은우",
          "서연 서윤 지우 서현 민서 하은 하윤 윤서 지유 지민 채원 수아 지아 다은 예은 수빈 예린 소율 지윤 유나"));

  private KoreanNames() {}

  static String fullName(char sex, int birthYear, RandomGenerator rng) {
    Cohort cohort = COHORTS.get(0);
    for (Cohort c : COHORTS) if (birthYear >= c.startYear) cohort = c;
    return FAMILY.pick(rng) + (sex == 'M' ? cohort.male : cohort.female).pick(rng);
  }

  private static final class Cohort {
    final int startYear;
    final WeightedList<String> male;
    final WeightedList<String> female;

    Cohort(int startYear, String male, String female) {
      this.startYear = startYear;
      this.male = WeightedList.zipf(List.of(male.split(" ")));
      this.female = WeightedList.zipf(List.of(female.split(" ")));
    }
  }
}
