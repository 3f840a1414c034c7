package org.dure.cohort;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Korea's seventeen first-level divisions with their population (thousands, 2023), the legacy
 * resident-registration area codes assigned to each, and a few real districts with real road names
 * for road-name addresses such as {@code 서울특별시 강남구 테헤란로 152, 101동 1203호}.
 */
final class KoreanRegions {
  record Province(String name, double population, int areaFrom, int areaTo, List<District> districts) {}

  record District(String name, List<String> roads) {}

  static final List<Province> PROVINCES = List.of(
      province("서울특별시", 9386, 0, 8,
          "강남구:테헤란로,강남대로,도산대로,봉은사로,선릉로", "송파구:올림픽로,송파대로,백제고분로,위례성대로",
          "종로구:종로,세종대로,율곡로,대학로", "마포구:월드컵로,양화로,마포대로,독막로", "노원구:동일로,노원로,한글비석로",
          "관악구:관악로,남부순환로,봉천로", "영등포구:여의대로,국회대로,영중로", "은평구:통일로,진흥로,연서로"),
      province("부산광역시", 3293, 9, 12,
          "해운대구:해운대로,센텀중앙로,좌동순환로", "부산진구:중앙대로,서면로,가야대로", "동래구:충렬대로,명륜로,온천장로",
          "사하구:낙동대로,다대로,하신번영로", "남구:수영로,용호로,유엔평화로"),
      province("대구광역시", 2375, 67, 69,
          "수성구:달구벌대로,동대구로,범어로", "중구:국채보상로,동성로,중앙대로", "달서구:월배로,달서대로,와룡로",
          "북구:칠곡중앙대로,침산로,복현로"),
      province("인천광역시", 2998, 13, 15,
          "연수구:컨벤시아대로,송도과학로,청량로", "남동구:인주대로,남동대로,구월로", "부평구:부평대로,경원대로,길주로",
          "서구:서곶로,봉오대로,청라대로"),
      province("광주광역시", 1419, 55, 56,
          "동구:금남로,제봉로,필문대로", "서구:상무대로,무진대로,운천로", "북구:설죽로,서암대로,우치로",
          "광산구:하남대로,임방울대로,첨단중앙로"),
      province("대전광역시", 1442, 40, 40,
          "서구:둔산로,대덕대로,계룡로", "유성구:대학로,엑스포로,유성대로", "중구:중앙로,대종로,계백로",
          "동구:대전로,동서대로,계족로"),
      province("울산광역시", 1103, 85, 85,
          "남구:삼산로,번영로,문수로", "중구:종가로,태화로,성안로", "동구:방어진순환도로,봉수로,화정로"),
      province("세종특별자치시", 386, 44, 44, ":한누리대로,갈매로,도움로,보듬로"),
      province("경기도", 13631, 16, 25,
          "수원시 영통구:광교중앙로,매영로,봉영로", "성남시 분당구:판교역로,정자일로,황새울로", "고양시 일산동구:중앙로,일산로,호수로",
          "용인시 수지구:포은대로,수지로,풍덕천로", "안양시 동안구:시민대로,평촌대로,귀인로", "화성시:동탄대로,병점중앙로,향남로"),
      province("강원특별자치도", 1528, 26, 34,
          "춘천시:중앙로,후석로,퇴계로", "원주시:원일로,단구로,시청로", "강릉시:경강로,율곡로,하슬라로"),
      province("충청북도", 1593, 35, 39,
          "청주시 상당구:상당로,대성로,용담로", "청주시 흥덕구:2순환로,가경로,직지대로", "충주시:충원대로,국원대로,중원대로"),
      province("충청남도", 2130, 41, 47,
          "천안시 동남구:충절로,만남로,청수로", "아산시:번영로,온천대로,배방로", "공주시:웅진로,금벽로,봉황로"),
      province("전북특별자치도", 1755, 48, 54,
          "전주시 완산구:팔달로,충경로,효자로", "전주시 덕진구:백제대로,기린대로,송천중앙로", "군산시:대학로,수송로,월명로",
          "익산시:인북로,무왕로,선화로"),
      province("전라남도", 1805, 57, 64,
          "목포시:영산로,백년대로,삼향천로", "여수시:시청로,여문문화로,좌수영로", "순천시:연향로,중앙로,팔마로"),
      province("경상북도", 2556, 70, 81,
          "포항시 남구:포스코대로,희망대로,대잠로", "구미시:구미대로,송정대로,신시로", "경주시:태종로,원화로,알천북로",
          "안동시:경동로,서동문로,퇴계로"),
      province("경상남도", 3251, 82, 92,
          "창원시 성산구:중앙대로,원이대로,창이대로", "김해시:김해대로,가야로,호계로", "진주시:진주대로,동진로,남강로"),
      province("제주특별자치도", 675, 93, 95,
          "제주시:중앙로,연삼로,노형로,1100로", "서귀포시:중정로,일주동로,태평로"));

  private static final WeightedList<Province> BY_POPULATION = new WeightedList<>(PROVINCES,
      PROVINCES.stream().mapToDouble(Province::population).toArray());

  private KoreanRegions() {}

  static Province byName(String name) {
    return PROVINCES.stream().filter(p -> p.name.equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("unknown province '" + name + "'"));
  }

  /** A province drawn in proportion to population. */
  static Province anyProvince(RandomGenerator rng) {
    return BY_POPULATION.pick(rng);
  }

  /** A road-name address in {@code province}; about half are apartments ({@code , 101동 1203호}). */
  static String address(Province province, RandomGenerator rng) {
    District d = province.districts.get(rng.nextInt(province.districts.size()));
    String road = d.roads.get(rng.nextInt(d.roads.size()));
    int building = 1 + (int) Math.min(499, Math.floor(Math.abs(rng.nextGaussian()) * 120));
    StringBuilder a = new StringBuilder(province.name);
    if (!d.name.isEmpty()) a.append(' ').append(d.name);
    a.append(' ').append(road).append(' ').append(building);
    if (rng.nextBoolean()) {
      a.append(", ").append(101 + rng.nextInt(15)).append("동 ")
          .append(1 + rng.nextInt(25)).append(String.format("%02d", 1 + rng.nextInt(4))).append('호');
    }
    return a.toString();
  }

  /** A legacy resident-registration area code for someone registered in {@code province}. */
  static int areaCode(Province province, RandomGenerator rng) {
    return province.areaFrom + rng.nextInt(province.areaTo - province.areaFrom + 1);
  }

  private static Province province(String name, double population, int areaFrom, int areaTo, String... districts) {
    List<District> ds = java.util.Arrays.stream(districts).map(s -> {
      int colon = s.indexOf(':');
      return new District(s.substring(0, colon), List.of(s.substring(colon + 1).split(",")));
    }).toList();
    return new Province(name, population, areaFrom, areaTo, ds);
  }
}
