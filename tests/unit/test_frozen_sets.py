"""The independent evaluation sets stay as their writers left them, and none of their sentences is trained on."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import ROOT

FROZEN = {
    "tests/nlu/independent.yml": "200009fbbff1bb3f5ce6618c5bb544c783b31c4aa924c8bf2c4875264b785758",
    "tests/nlu/dev.yml": "9704e42e29f53d4335594b7e662c4cf508298e193662ca5802d201430a17d880",
    "tests/nlu/dev3.yml": "607868d7b38eea1085e021d2740c7578d601fe2315269cf7869c8adff19907a6",
    "tests/urgent/independent.yml": "e1ec37e86de123c0846282afb77261bc5cbdb60e128aa4f493760d0d14081c02",
    "tests/urgent/independent2.yml": "c7dd29e5db9caa2a8a9c56db5dbc657e261bee1ef4bb40ea17defcfee475ab9b",
    "tests/urgent/dev.yml": "6f4c6d7c2762a0aec13468e42b99607a0954f65279370c3e2510226a4d56f663",
    "tests/urgent/dev2.yml": "c3f99dfaebdf7379edf6e9bc7da56306a194f6d931a7311a944897c83c82636a",
    "tests/urgent/dev3.yml": "43a7e406498cf02ada840459a5692eaa9d2549268738d84763b616ea83475399",
    "tests/urgent/dev4.yml": "a165a26a4aa3b5b8745d5866d452c603f0d24d10c3aa198908c1edcacf952ecc",
    "tests/urgent/dev5.yml": "459d99adf50732891ae66ea36b2af82ff6aac308d02741947dcc7f802844cbf8",
    "tests/urgent/dev6.yml": "aacaef4e6b67c143da540ba3ccf040243c81161701deca8280f524dc8f4260d1",
    "tests/urgent/dev7.yml": "56c623bedc5562a5beee4833f661cf9800daf4b18567bee9e59806211482771c",
    "tests/urgent/dev8.yml": "6fc9c732fc0521857afee4382db0996c6a8ec5409a21e48a0969ca5907a2fd0e",
    "tests/urgent/dev9.yml": "b4e7962a949b557490bbc28f572c8b561f406f3a82ba16102f4d8599610fe0b1",
    "tests/urgent/dev10.yml": "56653a950e749a11936643abf44989a321bc72a2cde905bf8c8a38f204c48236",
    "tests/urgent/dev11.yml": "d880cbb3d8c16054c23b673f5c01b0e4d5340877026a89aee2c781c2bd843e23",
    "tests/urgent/dev12.yml": "109ed4f6f4672f03090f5d6a9c3ee27c857a220b5f5476522b1a8cf71510129b",
    "tests/urgent/dev13.yml": "13bf4024e071337ac2c952119044e41592230da79e95b02506973160f3463264",
    "tests/urgent/dev14.yml": "d8a32a14ae6a97054c3ee642c49e57758c8b226e328b91291ed8505e048e8900",
    "tests/urgent/dev15.yml": "51bf258dab3adc274e94188651a19f1b9c62f630e7d25cdec56715fbbfb1a508",
    "tests/urgent/dev16.yml": "a8d9a497b43e882e54974360795b3b8c35d484f258fff59aa306355c0c00c046",
    "tests/urgent/dev17.yml": "57b1d09b6261d48f291acf9632fd86e44a33065da08137b15eaf8121d9ca98ba",
    "tests/urgent/dev18.yml": "e25aa50be15a74e7feaf8489e1db400962f35babc0e429f6ad81fde58ba34091",
    "tests/urgent/dev19.yml": "5ab351542fc206576b931297d13ed38a24b15e773082c89c701bea0e5ef6c845",
    "tests/urgent/dev20.yml": "8228e7f50ece07acb0dde2d64ebe2e41374e362f10e27d372e26cf820779dbcd",
    "tests/urgent/dev21.yml": "d61b678fb058dee3e8b50dbe7b8e7b919e011faa447ee5a1b6073ecbcc376339",
    "tests/urgent/dev22.yml": "7dcc04fa178696a3dc625a0ea5f2a937bc529d30c3ee2ea4577bf332307f96cd",
    "tests/urgent/dev23.yml": "53e5eb4f12900f5c6954a11723b96ec33f0bff230cc854f387ea3d3758791ec5",
    "tests/urgent/dev24.yml": "3d5f343c72edc6cd2b548f7c24e23505818bc68b78c7bbe7e4a6f85dc42971ed",
    "tests/urgent/dev25.yml": "39973b3e14e32da991586515225260870cb74a935a5d72ef36468f90eee6db9e",
    "tests/urgent/dev26.yml": "bccaefb3078c77fcab24ade97b488c4dc106506197c811a128971f55dfbb68a0",
    "tests/urgent/dev27.yml": "ebb7d2c081434d1f2171153917a512c5be10a916c05175c0f179d1867ed6bbd1",
    "tests/urgent/dev28.yml": "314a506e2c4daa8c94b94d0fb72683373eb211a63f836936ef745e1879f35ae9",
    "tests/urgent/dev29.yml": "71bd3adb862527d32d0f39fd214a9e525dc9263a8939c90d303fcbfdbc73a66a",
    "tests/urgent/dev30.yml": "4cfa1e7cdff03735afc442199101028cedc4c84e10dccc7a81bf200d18f0a9be",
    "tests/urgent/dev31.yml": "079819c2f770891103d38d64970a7e640fd3a461b6383d56cd679b82f05e1bc2",
    "tests/urgent/dev32.yml": "ed6e4e2ffdc65af2d8890f2a22919e46e89b6ce5225bdf298bf6cd0e581a3127",
    "tests/urgent/dev33.yml": "b530ce64a654944e3c84041b3599417f8ded5ea2fa4aec5e5eb1fb3e56558792",
    "tests/urgent/dev34.yml": "ba40ed1a61f4f504ed6ec902141646de11ec2568869e7bfe16f3163568be001c",
    "tests/urgent/dev35.yml": "076ed5dfd91e72b0d3cf29e7dbf01ad5b333d91b47eccdbcf23af7d105cf262e",
    "tests/urgent/dev36.yml": "ec50c2b545fb2abd3d3069778d6df89729d0c9f60fc5bc7a2f2993a966ef94b3",
    "tests/urgent/dev37.yml": "0e1bc78b96a6e79d8225c1be7901b1be8f469cd8eb4bc25eacdbcdaaf09dd242",
    "tests/urgent/dev38.yml": "0da685b1ac72efe101e7337f4adc70518a3116fee27b5845c6d2086a876e2529",
    "tests/urgent/dev39.yml": "5c9762d59222d3752eb2522858d425e0adc13a50f159bf57ad49aca4a9c3f195",
    "tests/urgent/dev40.yml": "c4f9cd49e9b2a9e6fd9238e7d4879b303c088d6e4914a871f2aaa03cf87e89e5",
    "tests/urgent/dev41.yml": "48f92c8bfeee11d995a70bfdfc3dae5a04ba15be2a7b900ef384857c8a708980",
    "tests/urgent/dev42.yml": "60f26e4a50f314a7869f24d0ee60f318c8f9048957d2e62a7b298bedd282848e",
    "tests/urgent/dev43.yml": "ecb4bc21120ae6d2c21ae5a4366646d26fdfaa963e4c86318ca46323bc173b7a",
    "tests/urgent/dev44.yml": "19f592541e0f9ce14d55b74f94f26a9df4fd6411a8b2c91c52352e10109fde11",
    "tests/urgent/dev45.yml": "afac5bf7b7b2d8ac2260492d25635e781d1032b0a90c3d32b6bd5426c4fa2542",
    "tests/urgent/dev46.yml": "009512a1a716a68e281d96a092d489b52ececbcabafd5c522bbe9b9de35eddec",
    "tests/urgent/dev47.yml": "b71d9b5a0476fb3e5cf7ebb800a8848eafa37809cfb9ff3ecc40df6a4d19ea59",
    "tests/urgent/dev48.yml": "256f7386a91357a1d38c1d83cdd888aea11ea680f8fbfb141e6a4f963ab1c485",
    "tests/urgent/dev49.yml": "568df54ed282bcdbafd078b561e1a11ff43f7a8a8ea02078771426114828d747",
}


@pytest.mark.parametrize("path", sorted(FROZEN))
def test_frozen_set_is_unchanged(path):
    assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == FROZEN[path], f"{path} was edited"
