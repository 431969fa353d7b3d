//! The Korean strings, keyed by their English text (see the module above).
//!
//! Keep placeholders (`{name}`) exactly as in the English key. After adding
//! characters, rebuild the font subset: `scripts/subset_korean_font.py`.

/// (English, Korean) pairs.
pub const KO: &[(&str, &str)] = &[
    ("Play", "재생"),
    ("Pause", "일시 정지"),
    ("Game", "게임"),
    (
        "Step through Algorithm 1 on toy 1-D and 2-D data",
        "장난감 1차원·2차원 데이터로 알고리즘 1을 한 단계씩 실행",
    ),
    ("The GAN game", "GAN 게임"),
    (
        "Algorithm 1 on toy data: k discriminator steps, then one generator step. Step through it or press Play.",
        "장난감 데이터로 보는 알고리즘 1: 판별자 k단계, 그다음 생성자 1단계. 한 단계씩 실행하거나 재생을 누르세요.",
    ),
    ("Data", "데이터"),
    ("Seed", "시드"),
    ("New game", "새 게임"),
    ("Discriminator step", "판별자 단계"),
    ("Generator step", "생성자 단계"),
    ("Full iteration", "전체 반복"),
    (
        "One update of D on a real and a fake batch",
        "진짜 배치와 가짜 배치로 D를 한 번 갱신",
    ),
    (
        "One update of G through D's gradient",
        "D의 기울기를 따라 G를 한 번 갱신",
    ),
    (
        "k discriminator steps, then one generator step",
        "판별자 k단계, 그다음 생성자 1단계",
    ),
    ("k (D steps per G step)", "k (G 단계당 D 단계 수)"),
    ("Generator loss", "생성자 손실"),
    ("non-saturating", "비포화"),
    ("minimax", "미니맥스"),
    ("Starting the game…", "게임을 시작하는 중…"),
    (
        "Press \"Discriminator step\" or \"Generator step\" to see one update of Algorithm 1.",
        "\"판별자 단계\"나 \"생성자 단계\"를 눌러 알고리즘 1의 갱신 한 번을 보세요.",
    ),
    (
        "Iteration {step} · D updates {d} · G updates {g}",
        "반복 {step} · D 갱신 {d} · G 갱신 {g}",
    ),
    (
        "G's samples: mean {gm}, std {gs} (data: {m}, {s})",
        "G의 표본: 평균 {gm}, 표준편차 {gs} (데이터: {m}, {s})",
    ),
    ("Discriminator step:", "판별자 단계:"),
    ("Generator step:", "생성자 단계:"),
    (
        "D raised its score on real data ({before} → {after}).",
        "D가 진짜 데이터에 대한 점수를 올렸습니다 ({before} → {after}).",
    ),
    (
        "D's score on real data fell ({before} → {after}).",
        "진짜 데이터에 대한 D의 점수가 내려갔습니다 ({before} → {after}).",
    ),
    (
        "It lowered its score on fakes ({before} → {after}).",
        "가짜에 대한 점수는 내렸습니다 ({before} → {after}).",
    ),
    (
        "Its score on fakes rose ({before} → {after}).",
        "가짜에 대한 점수가 올라갔습니다 ({before} → {after}).",
    ),
    (
        "G moved its samples up D's slope: mean D(G(z)) {before} → {after} (they moved {moved} on average).",
        "G가 표본을 D의 비탈 위쪽으로 옮겼습니다: 평균 D(G(z)) {before} → {after} (평균 이동 거리 {moved}).",
    ),
    (
        "G's step overshot: mean D(G(z)) fell {before} → {after} (samples moved {moved} on average).",
        "G의 단계가 지나쳤습니다: 평균 D(G(z))가 {before} → {after}로 내려갔습니다 (평균 이동 거리 {moved}).",
    ),
    (
        "Why: D climbs log D(x) + log(1 − D(G(z))) on a fresh real batch and fake batch; G stays frozen.",
        "이유: D는 새 진짜 배치와 가짜 배치에서 log D(x) + log(1 - D(G(z)))를 올립니다. G는 고정됩니다.",
    ),
    (
        "D is near 0.5 on both: it can no longer tell real from fake.",
        "D가 양쪽 모두 0.5 근처입니다: 더 이상 진짜와 가짜를 구별하지 못합니다.",
    ),
    (
        "Why: G follows D's gradient through its samples toward where D says \"real\"; D stays frozen.",
        "이유: G는 표본을 거쳐 오는 D의 기울기를 따라 D가 \"진짜\"라고 하는 쪽으로 갑니다. D는 고정됩니다.",
    ),
    (
        "Iteration of Algorithm 1: {k} discriminator step(s), then one generator step.",
        "알고리즘 1의 반복: 판별자 {k}단계, 그다음 생성자 1단계.",
    ),
    ("D(x) before", "이전 D(x)"),
    ("p_g before", "이전 p_g"),
    ("p_data(x)", "p_data(x)"),
    ("p_g(x) (generator)", "p_g(x) (생성자)"),
    ("D(x)", "D(x)"),
    ("D*(x) = p_data / (p_data + p_g)", "D*(x) = p_data / (p_data + p_g)"),
    ("x = G(z)", "x = G(z)"),
    ("G's samples", "G의 표본"),
    ("D(x) (blue: real, orange: fake)", "D(x) (파랑: 진짜, 주황: 가짜)"),
    ("data", "데이터"),
    ("G's push (−∂L_G/∂x)", "G가 미는 방향 (-∂L_G/∂x)"),
    ("1-D Gaussian", "1차원 가우스 분포"),
    ("1-D mixture of two Gaussians", "1차원 가우스 두 개의 혼합"),
    ("2-D ring of 8 Gaussians", "2차원 가우스 8개의 고리"),
    ("2-D two moons", "2차원 두 개의 초승달"),
    ("2-D spiral", "2차원 나선"),
];
